#pragma once

// Opens the desktop app: `studio-proxy [--config FILE] [--studio-state FILE]`. Creates the
// QApplication itself; the other modes never do. Returns the process exit code.
int runDesktop(int &argc, char **argv);
