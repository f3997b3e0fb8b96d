#pragma once

#include <QString>

// Runs the proxy without a display until SIGTERM or SIGINT. Returns the process exit code.
int runHeadless(const QString &configPath, const QString &logFolderOverride);
