#pragma once

#include <QByteArray>
#include <QString>

// Helpers that several Qt Test executables under tests/auto share: laying out fixture files,
// making certificates with the openssl command line and finding a free port. Each test keeps
// what is its own, such as the placeholders ({dir}, {config}...) it expands in its fixtures.
namespace TestSupport {

// Writes content to path, creating the folders above it. A test whose fixture cannot be laid
// out would report nonsense, so a failure ends the run with qFatal() naming the file.
void writeFile(const QString &path, const QByteArray &content);

// Runs one openssl command line, quoted as in a shell, in folder with stdin closed (a prompt
// fails instead of waiting) and for a minute at most. Returns an empty string when openssl
// exits with 0, else the command and what went wrong: openssl's stderr, or why it did not run
// to the end. output, when given, gets what openssl printed on stdout.
QString runOpenssl(const QString &folder, const QString &commandLine, QByteArray *output = nullptr);

// A TCP port nothing listens on right now: the kernel's choice, released again. 0 when the
// kernel gives none.
quint16 freePort();

} // namespace TestSupport
