#include "util/atomicfile.h"

#include <QFile>
#include <QSaveFile>

#include <sys/stat.h>
#include <unistd.h>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

Result<void> writeLike(const QString &path, const QByteArray &content, const struct stat *like)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        return Error { ErrorCode::ConfigUnwritable,
            u"cannot write %1: %2"_s.arg(path, file.errorString()) };
    }
    if (like) {
        ::fchmod(file.handle(), like->st_mode & 07777);
        if (like->st_uid != ::geteuid() || like->st_gid != ::getegid()) {
            // chown clears the set-id bits: the mode goes on again after it.
            if (::fchown(file.handle(), like->st_uid, like->st_gid) == 0)
                ::fchmod(file.handle(), like->st_mode & 07777);
        }
    }
    if (file.write(content) != content.size() || !file.commit()) {
        return Error { ErrorCode::ConfigUnwritable,
            u"cannot write %1: %2"_s.arg(path, file.errorString()) };
    }
    return {};
}

} // namespace

Result<void> replaceLike(const QString &path, const QByteArray &content, const QString &likePath)
{
    struct stat like = {};
    const bool exists = ::stat(QFile::encodeName(likePath).constData(), &like) == 0;
    return writeLike(path, content, exists ? &like : nullptr);
}

Result<void> replaceWithBackup(const QString &path, const QByteArray &content, QString *backupPath)
{
    if (backupPath)
        backupPath->clear();
    struct stat previous = {};
    const bool exists = ::stat(QFile::encodeName(path).constData(), &previous) == 0;
    if (exists) {
        QFile current(path);
        if (!current.open(QIODevice::ReadOnly)) {
            return Error { ErrorCode::ConfigUnreadable,
                u"cannot read %1 to back it up: %2"_s.arg(path, current.errorString()) };
        }
        const QString backup = path + u".bak"_s;
        if (const Result<void> saved = writeLike(backup, current.readAll(), &previous); !saved) {
            return Error { ErrorCode::ConfigUnwritable,
                u"cannot save the backup %1 (%2); %3 was not changed"_s.arg(
                        backup, saved.error().message, path) };
        }
        if (backupPath)
            *backupPath = backup;
    }
    return writeLike(path, content, exists ? &previous : nullptr);
}

} // namespace StudioProxy
