#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QString>

namespace StudioProxy {

// Replaces path with content, all or nothing (QSaveFile: a temporary file renamed over it).
// An existing file's previous content is first saved as <path>.bak, and both files keep the
// mode, owner and group the file had: an engine's config or Studio's state file edited by
// root or by the proxy's service user stays readable by the user it belongs to. (Giving a
// file away needs root; any other writer owned the file already.) backupPath, when given,
// receives the backup's path, empty when there was no file to back up.
Result<void> replaceWithBackup(
        const QString &path, const QByteArray &content, QString *backupPath = nullptr);

// Replaces path with content, all or nothing, with the mode, owner and group of likePath (a
// file that exists), and no backup: for putting back what an edit replaced.
Result<void> replaceLike(const QString &path, const QByteArray &content, const QString &likePath);

} // namespace StudioProxy
