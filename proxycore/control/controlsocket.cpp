#include "control/controlsocket.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>

#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy::ControlSocket {

namespace {

QStringList candidateFolders()
{
    QStringList folders { u"/run/studio-proxy"_s };
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty())
        folders << QDir(runtime).absoluteFilePath(u"studio-proxy"_s);
    folders << u"/tmp/studio-proxy-%1"_s.arg(::getuid());
    folders.removeDuplicates();
    return folders;
}

} // namespace

QString runtimeFolder()
{
    // Under systemd, the service's RuntimeDirectory= (/run/studio-proxy in the packaged unit,
    // owned by its unprivileged user): the same folder root's `ctl` looks in.
    const QString service = qEnvironmentVariable("RUNTIME_DIRECTORY").section(u':', 0, 0);
    if (!service.isEmpty())
        return service;
    if (::geteuid() == 0)
        return u"/run/studio-proxy"_s;
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (!runtime.isEmpty())
        return QDir(runtime).absoluteFilePath(u"studio-proxy"_s);
    return u"/tmp/studio-proxy-%1"_s.arg(::getuid());
}

QString defaultPath(const QString &configPath)
{
    const QByteArray hash = QCryptographicHash::hash(
            QFileInfo(configPath).absoluteFilePath().toUtf8(), QCryptographicHash::Sha256);
    return QDir(runtimeFolder())
            .absoluteFilePath(
                    u"studio-proxy-%1.sock"_s.arg(QString::fromLatin1(hash.toHex().left(12))));
}

QStringList findRunning()
{
    QStringList sockets;
    for (const QString &folder : candidateFolders()) {
        const QDir dir(folder);
        for (const QString &name :
                dir.entryList({ u"studio-proxy-*.sock"_s }, QDir::System | QDir::Files)) {
            sockets << dir.absoluteFilePath(name);
        }
    }
    return sockets;
}

} // namespace StudioProxy::ControlSocket
