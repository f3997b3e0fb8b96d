#pragma once

// What the page tests share: pictures of a page to look at, and files read back.

#include <QDir>
#include <QFile>
#include <QString>
#include <QTest>
#include <QWidget>

namespace PageTestSupport {

// Keeps a picture of the page under build/screenshots, to look at as a user would.
inline void keepScreenshot(QWidget &page, const QString &name)
{
    const QString build = qEnvironmentVariable("STUDIO_PROXY_BUILD_DIR");
    if (build.isEmpty())
        return;
    page.resize(1100, 720);
    QTest::qWait(50); // for the layouts that follow the new size
    QDir().mkpath(build + QStringLiteral("/screenshots"));
    const QString path = build + QStringLiteral("/screenshots/") + name + QStringLiteral(".png");
    if (!page.grab().save(path))
        qWarning("cannot save %s", qPrintable(path));
}

inline QByteArray contentOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<missing>");
}

} // namespace PageTestSupport
