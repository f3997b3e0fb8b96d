#pragma once

#include <QStringList>

// `studio-proxy cert inspect|check|generate|trust ...`; arguments start with "cert".
int runCert(const QStringList &arguments);
