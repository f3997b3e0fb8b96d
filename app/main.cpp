#include "cert.h"
#include "commandline.h"
#include "ctl.h"
#include "desktop.h"
#include "headless.h"

#include "proxy/allocator.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

#include <cstring>

using namespace Qt::StringLiterals;

namespace {

// Whether the command line asks for the desktop app: no subcommand, no --headless, no
// --help or --version (those print and exit without a display).
bool wantsDesktop(int argc, char *argv[])
{
    if (argc > 1 && (std::strcmp(argv[1], "ctl") == 0 || std::strcmp(argv[1], "cert") == 0))
        return false;
    for (int i = 1; i < argc; ++i) {
        for (const char *option : { "--headless",
                     "-headless",
                     "--help",
                     "-h",
                     "-?",
                     "--help-all",
                     "--version",
                     "-v" }) {
            if (std::strcmp(argv[i], option) == 0)
                return false;
        }
    }
    return true;
}

} // namespace

int main(int argc, char *argv[])
{
    StudioProxy::tuneAllocatorForRelay();
    if (wantsDesktop(argc, argv)) {
        // The app takes options only: a word is a mistyped command, and must not open a
        // window (or, on a server, die for want of a display).
        if (argc > 1 && argv[1][0] != '-') {
            std::fprintf(stderr,
                    "studio-proxy: unknown command \"%s\"; the commands are ctl and cert, "
                    "see --help\n",
                    argv[1]);
            return 2;
        }
        if (qEnvironmentVariableIsEmpty("DISPLAY") && qEnvironmentVariableIsEmpty("WAYLAND_DISPLAY")
                && qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
            std::fprintf(stderr,
                    "studio-proxy: no display for the desktop app (DISPLAY is not set); on a "
                    "server, run studio-proxy --headless --config FILE\n");
            return 2;
        }
        return runDesktop(argc, argv);
    }

    // A server has no display: headless mode must never create a GUI application object.
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"studio-proxy"_s);
    QCoreApplication::setApplicationVersion(QStringLiteral(STUDIOPROXY_VERSION));

    const QStringList arguments = QCoreApplication::arguments();
    if (arguments.size() > 1 && arguments.at(1) == u"ctl")
        return runCtl(arguments.mid(1));
    if (arguments.size() > 1 && arguments.at(1) == u"cert")
        return runCert(arguments.mid(1));

    QCommandLineParser parser;
    parser.setApplicationDescription(
            u"WebSocket proxy between SingleStore Studio (or any MySQL driver over WebSocket) "
            "and a MySQL-protocol engine's socket.\n\n"
            "Without --headless (and with a display) it opens the desktop app.\n"
            "Commands, each with its own --help:\n"
            "  studio-proxy ctl COMMAND    control a running proxy (status, set, restart, sql, "
            "update-config, sessions, close-session)\n"
            "  studio-proxy cert COMMAND   inspect, check, generate and trust certificates"_s);
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption headless(u"headless"_s,
            u"Run the proxy as a service, without a display, until SIGTERM or SIGINT."_s);
    const QCommandLineOption config(u"config"_s,
            u"The engine's config file (memsql.cnf or my.cnf) with the proxy variables."_s,
            u"FILE"_s);
    const QCommandLineOption logDir(u"log-dir"_s,
            u"Write websocket_proxy.log to DIR instead of the engine's log folder."_s,
            u"DIR"_s);
    const QCommandLineOption controlSocket(u"control-socket"_s,
            u"Serve the control channel (studio-proxy ctl) on PATH instead of the default "
            "derived from the config file."_s,
            u"PATH"_s);
    parser.addOptions({ headless, config, logDir, controlSocket });
    if (const std::optional<int> status = parseCommandLine(parser, arguments))
        return *status;

    if (!parser.positionalArguments().isEmpty()) {
        std::fprintf(stderr,
                "studio-proxy: unknown command \"%s\"; see --help\n",
                qUtf8Printable(parser.positionalArguments().constFirst()));
        return 2;
    }
    if (!parser.isSet(config)) {
        std::fprintf(stderr, "studio-proxy: --headless needs --config FILE\n");
        return 2;
    }
    return runHeadless({ parser.value(config), parser.value(logDir), parser.value(controlSocket) });
}
