#pragma once

#include <QString>

struct HeadlessOptions
{
    QString configPath;
    QString logFolder; // --log-dir; empty: the engine's log folder
    QString controlSocket; // --control-socket; empty: derived from the config path
};

// Runs the proxy without a display until SIGTERM or SIGINT. Returns the process exit code.
int runHeadless(const HeadlessOptions &options);
