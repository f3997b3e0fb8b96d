#include "proxy/writethrough.h"

#include <QIODevice>
#include <QSslSocket>

#include <algorithm>
#include <cerrno>
#include <sys/socket.h>
#include <sys/uio.h>

namespace StudioProxy {

namespace {

// What the kernel took now, 0 when it took nothing (a full socket, or an error that the
// device will meet and report when it writes the rest).
qsizetype sendNow(qintptr descriptor, QByteArrayView first, QByteArrayView second)
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
        if (errno != EINTR)
            return 0;
    }
}

} // namespace

qintptr plainDescriptor(const QAbstractSocket *socket)
{
    if (qobject_cast<const QSslSocket *>(socket)
            || socket->state() != QAbstractSocket::ConnectedState)
        return -1;
    return socket->socketDescriptor();
}

void writeThrough(
        QIODevice *device, qintptr descriptor, QByteArrayView first, QByteArrayView second)
{
    if (first.isEmpty()) {
        first = second;
        second = {};
    }
    if (first.isEmpty())
        return;
    if (descriptor >= 0 && device->bytesToWrite() == 0) {
        qsizetype sent = sendNow(descriptor, first, second);
        const qsizetype fromFirst = std::min(sent, first.size());
        first = first.sliced(fromFirst);
        second = second.sliced(sent - fromFirst);
    }
    if (!first.isEmpty())
        device->write(first.data(), first.size());
    if (!second.isEmpty())
        device->write(second.data(), second.size());
}

} // namespace StudioProxy
