#pragma once

#include <QStringList>

#include <optional>

class QCommandLineParser;

// QCommandLineParser::process() without its exit status 1 for a usage error, which here
// means "the proxy did not start": a usage error is printed in one line and 2 returned, as
// the man page says. --help and --version, where the parser has them, print and exit 0.
// Returns the exit status when the program should stop, nothing when it goes on.
std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &arguments);
