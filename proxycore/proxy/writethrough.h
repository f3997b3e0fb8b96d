#pragma once

#include <QByteArrayView>
#include <QtGlobal>

class QAbstractSocket;
class QIODevice;
class QLocalSocket;

namespace StudioProxy {

// Writes to a connected stream socket with as little of Qt's buffering as can be. While
// the device holds nothing unsent, the bytes go to the kernel at once, both parts in one
// sendmsg(); only what the kernel does not take is handed to the device, whose write buffer
// sends it, in order, when the socket can take more.
//
// Qt keeps a 32 KiB block for every socket that it ever buffered a write for, so an idle
// session that was never held up by its peer holds none, and relayed bytes are not copied
// once more on their way out.
//
// `descriptor` is the socket's own (QAbstractSocket::socketDescriptor()), or -1 where the
// bytes must pass through the device: TLS encrypts them there.
//
// Returns 0, or the errno of a send the kernel refused for a reason other than a full
// socket. The kernel gives a socket's pending error (a timeout, an unreachable host) to the
// first call that asks, so the device then sees only that the connection is gone: a caller
// that says why a connection broke keeps this error. The bytes are handed to the device
// either way, which closes the socket as it would have.
int writeThrough(
        QIODevice *device, qintptr descriptor, QByteArrayView first, QByteArrayView second = {});

// The descriptor writeThrough() may send on for this socket: its own while it is a connected
// plain TCP or Unix socket, else -1 (QSslSocket encrypts what it sends). While Qt reports an error
// the socket still says it is connected, but its descriptor is closed: isValid() tells.
qintptr plainDescriptor(const QAbstractSocket *socket);
qintptr plainDescriptor(const QLocalSocket *socket);

} // namespace StudioProxy
