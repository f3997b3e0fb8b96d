// libFuzzer target for the engine's option file: ConfigFile::read() on the input, then the
// startup rules (RuntimeVariables::fromConfig, proxySettingsFrom) on what it parsed.
//
// ConfigFile follows "!include" and "!includedir" anywhere, as MySQL does: absolute targets
// and targets with ".." reach any file the process can read, "/dev/zero" and FIFOs included.
// The input therefore lives in a sandbox folder of its own, and an input whose directives
// name anything outside that folder is rejected before it is read; inside it, includes can
// only reach the input itself (a cycle) and an empty conf.d/.

#include "fuzzcheck.h"

#include "config/configfile.h"
#include "config/proxysettings.h"
#include "config/runtimevariables.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace StudioProxy;

namespace {

class Sandbox
{
public:
    Sandbox()
    {
        if (!m_dir.isValid() || !QDir(m_dir.path()).mkdir(QStringLiteral("conf.d"))) {
            std::fprintf(stderr, "cannot make a sandbox folder in %s\n", qPrintable(m_dir.path()));
            std::abort();
        }
        folder = QFileInfo(m_dir.path()).canonicalFilePath();
        // A .cnf name, so that "!includedir ." finds the input as MySQL would.
        inputPath = folder + QStringLiteral("/fuzz.cnf");
    }

    QString folder;
    QString inputPath; // written again for every input

private:
    QTemporaryDir m_dir;
};

Sandbox *sandbox = nullptr;

bool staysInside(const QString &path, const QString &folder)
{
    const QString clean = QDir::cleanPath(path);
    return clean == folder || clean.startsWith(folder + u'/');
}

// Reads the directive lines as ConfigFile does (line by line, trimmed, the target after the
// first word), with and without carriage returns since a text-mode read may drop them.
bool includesStayInside(const QByteArray &input, const QString &folder)
{
    const QDir base(folder);
    for (const QByteArray &text : { input, QByteArray(input).replace('\r', QByteArray()) }) {
        for (const QByteArray &raw : text.split('\n')) {
            const QString line = QString::fromUtf8(raw).trimmed();
            if (!line.startsWith(u'!'))
                continue;
            qsizetype space = 0;
            while (space < line.size() && !line.at(space).isSpace())
                ++space;
            if (!staysInside(base.absoluteFilePath(line.mid(space).trimmed()), folder))
                return false;
        }
    }
    return true;
}

void checkEntries(const ConfigFile &config, const QByteArray &input)
{
    FUZZ_CHECK(config.path() == sandbox->inputPath);
    const qsizetype lines = input.count('\n') + 1;
    for (const ConfigEntry &entry : config.entries()) {
        FUZZ_CHECK(entry.file == sandbox->inputPath);
        FUZZ_CHECK(entry.line >= 1 && entry.line <= lines);
        FUZZ_CHECK(!entry.key.isEmpty() && !entry.key.contains(u'-'));
    }
}

// What the startup rules promise (proxysettings.h): one port, SSL files for HTTPS, an engine
// to reach and a folder for the log.
void checkSettings(const ProxySettings &settings)
{
    FUZZ_CHECK(settings.port != 0);
    if (settings.protocol == ProxyProtocol::Tls) {
        FUZZ_CHECK(settings.portKey == QStringLiteral("https_proxy_port"));
        FUZZ_CHECK(!settings.sslCert.isEmpty() && !settings.sslKey.isEmpty());
    } else {
        FUZZ_CHECK(settings.portKey == QStringLiteral("http_proxy_port"));
        FUZZ_CHECK(settings.sslCert.isEmpty() && settings.sslKey.isEmpty());
    }
    if (settings.engine.kind == EngineEndpoint::Kind::UnixSocket)
        FUZZ_CHECK(QDir::isAbsolutePath(settings.engine.socketPath));
    else
        FUZZ_CHECK(settings.engine.port != 0);
    FUZZ_CHECK(QDir::isAbsolutePath(settings.logFolder));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    sandbox = new Sandbox;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray input =
            QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    if (!includesStayInside(input, sandbox->folder))
        return -1; // not worth keeping in the corpus either

    QFile file(sandbox->inputPath);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)
            || file.write(input) != input.size()) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(sandbox->inputPath));
        std::abort();
    }
    file.close();

    const Result<ConfigFile> config = ConfigFile::read(sandbox->inputPath);
    if (!config) {
        FUZZ_CHECK(config.error().code == ErrorCode::ConfigSyntax
                || config.error().code == ErrorCode::ConfigUnreadable);
        FUZZ_CHECK(!config.error().message.isEmpty());
        return 0;
    }
    checkEntries(config.value(), input);

    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    const Result<ProxySettings> settings = proxySettingsFrom(config.value());
    FUZZ_CHECK(variables || !settings);
    if (variables) {
        FUZZ_CHECK(variables->configPath() == sandbox->inputPath);
        for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions()) {
            if (variables->isSet(definition.name))
                FUZZ_CHECK(!variables->source(definition.name).isEmpty());
        }
    }
    if (settings)
        checkSettings(settings.value());
    return 0;
}
