#include "desktop.h"

#include "commandline.h"
#include "mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QFileInfo>
#include <QSettings>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace StudioProxy;

namespace {

// Where Studio's package keeps its state file.
constexpr auto DefaultStudioState = "/var/lib/singlestoredb-studio/studio.hcl";

} // namespace

int runDesktop(int &argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setApplicationName(u"studio-proxy"_s);
    QApplication::setOrganizationName(u"studio-proxy"_s);
    QApplication::setApplicationDisplayName(u"Studio Proxy"_s);
    QApplication::setApplicationVersion(QStringLiteral(STUDIOPROXY_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(u"The desktop app: the proxy, its configuration, Studio's "
                                     "clusters, certificates and the log in one window."_s);
    const QCommandLineOption config(
            u"config"_s, u"The engine's config file (default: the one opened last)."_s, u"FILE"_s);
    const QCommandLineOption studioState(u"studio-state"_s,
            u"Studio's state file (default: %1)."_s.arg(QLatin1StringView(DefaultStudioState)),
            u"FILE"_s);
    const QCommandLineOption logDir(
            u"log-dir"_s, u"Write the built-in proxy's websocket_proxy.log to DIR."_s, u"DIR"_s);
    const QCommandLineOption page(u"page"_s,
            u"The page to open on: proxy, configuration, clusters, certificates or log."_s,
            u"NAME"_s);
    const QCommandLineOption noStart(
            u"no-start"_s, u"Do not start the built-in proxy when the window opens."_s);
    const QCommandLineOption noHeadless(u"no-headless-check"_s,
            u"Do not look for a headless proxy to manage; use the built-in one."_s);
    parser.addOptions({ config, studioState, logDir, page, noStart, noHeadless });
    if (const std::optional<int> status = parseCommandLine(parser, QApplication::arguments()))
        return *status;

    if (parser.isSet(page) && !MainWindow::pageNamed(parser.value(page))) {
        std::fprintf(stderr,
                "studio-proxy: no page \"%s\"; expected proxy, configuration, clusters, "
                "certificates or log\n",
                qUtf8Printable(parser.value(page)));
        return 2;
    }

    MainWindowOptions options;
    options.configPath = parser.isSet(config) ? QFileInfo(parser.value(config)).absoluteFilePath()
                                              : QSettings().value(u"files/lastConfig"_s).toString();
    options.studioStatePath = parser.isSet(studioState)
            ? QFileInfo(parser.value(studioState)).absoluteFilePath()
            : QString::fromLatin1(DefaultStudioState);
    options.logFolder = parser.value(logDir);
    options.startProxy = !parser.isSet(noStart);
    options.lookForHeadless = !parser.isSet(noHeadless);
    options.page = parser.value(page);

    MainWindow window(options);
    window.show();
    return QApplication::exec();
}
