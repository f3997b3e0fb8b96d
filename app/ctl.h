#pragma once

#include <QStringList>

// `studio-proxy ctl ...`: drives a running headless proxy through its control socket.
// arguments starts with "ctl". Returns the process exit code: 0 done, 1 refused or failed,
// 2 bad usage.
int runCtl(const QStringList &arguments);
