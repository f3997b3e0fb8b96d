#pragma once

#include <QString>
#include <QStringList>

namespace StudioProxy {

// Where the control socket of the proxy started with a given config file lives, so that
// `studio-proxy --headless` and `studio-proxy ctl` find each other without being told:
// <runtime folder>/studio-proxy-<first 12 hex digits of SHA-256(config path)>.sock.
// The runtime folder is $RUNTIME_DIRECTORY when systemd sets it (the service's
// RuntimeDirectory=), else /run/studio-proxy for root, else $XDG_RUNTIME_DIR/studio-proxy,
// else /tmp/studio-proxy-<uid>.
namespace ControlSocket {

QString runtimeFolder();
QString defaultPath(const QString &configPath);

// The sockets in the runtime folders this user can see (for ctl without --socket/--config).
QStringList findRunning();

} // namespace ControlSocket

} // namespace StudioProxy
