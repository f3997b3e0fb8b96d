#include "commandline.h"

#include <QCommandLineParser>

#include <cstdio>

using namespace Qt::StringLiterals;

std::optional<int> parseCommandLine(QCommandLineParser &parser, const QStringList &arguments)
{
    if (!parser.parse(arguments)) {
        QString error = parser.errorText(); // "Unknown option 'x'."
        if (error.endsWith(u'.'))
            error.chop(1);
        std::fprintf(stderr, "studio-proxy: %s; see --help\n", qUtf8Printable(error));
        return 2;
    }
    const QStringList names = parser.optionNames();
    if (names.contains(u"help"_s) || names.contains(u"h"_s) || names.contains(u"help-all"_s))
        parser.showHelp(0);
    if (names.contains(u"version"_s) || names.contains(u"v"_s))
        parser.showVersion();
    return std::nullopt;
}
