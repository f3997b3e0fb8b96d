#include "proxy/writethrough.h"

#include <QIODevice>
#include <QLocalSocket>
#include <QSslSocket>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace StudioProxy {

namespace {

// What the kernel took now; 0 when it took nothing, with error set when the reason was not
// a full socket.
qsizetype sendNow(qintptr descriptor, QByteArrayView first, QByteArrayView second, int &error)
{
    iovec parts[2] = { { const_cast<char *>(first.data()), size_t(first.size()) },
        { const_cast<char *>(second.data()), size_t(second.size()) } };
    msghdr message {};
    message.msg_iov = parts;
    message.msg_iovlen = second.isEmpty() ? 1 : 2;
    for (;;) {
        const ssize_t sent = ::sendmsg(int(descriptor), &message, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent >= 0)
            return qsizetype(sent);
        if (errno != EINTR) {
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                error = errno;
            return 0;
        }
    }
}

} // namespace

qintptr plainDescriptor(const QAbstractSocket *socket)
{
    if (qobject_cast<const QSslSocket *>(socket)
            || socket->state() != QAbstractSocket::ConnectedState || !socket->isValid())
        return -1;
    return socket->socketDescriptor();
}

qintptr plainDescriptor(const QLocalSocket *socket)
{
    if (socket->state() != QLocalSocket::ConnectedState || !socket->isValid())
        return -1;
    return socket->socketDescriptor();
}

int writeThrough(QIODevice *device, qintptr descriptor, QByteArrayView first, QByteArrayView second)
{
    if (first.isEmpty()) {
        first = second;
        second = {};
    }
    if (first.isEmpty())
        return 0;
    int error = 0;
    if (descriptor >= 0 && device->bytesToWrite() == 0) {
        const qsizetype sent = sendNow(descriptor, first, second, error);
        const qsizetype fromFirst = std::min(sent, first.size());
        first = first.sliced(fromFirst);
        second = second.sliced(sent - fromFirst);
    }
    if (!first.isEmpty())
        device->write(first.data(), first.size());
    if (!second.isEmpty())
        device->write(second.data(), second.size());
    return error;
}

} // namespace StudioProxy
