#pragma once

#include "control/controller.h"
#include "util/result.h"

#include <QList>

#include <optional>
#include <utility>

namespace StudioProxy {

// Changes one option in the engine's config file and leaves everything else byte for byte
// as it was: comments, order, blank lines, unknown options and groups, line endings. The
// file is replaced atomically (written beside it, then renamed) after its previous content
// is saved as <file>.bak.
class ConfigEditor
{
public:
    // Sets key to value, or removes it when value is empty (nullopt). An option already in
    // force is changed where it stands, in whichever file (an !include) holds it; a new one
    // goes at the end of the last group the engine reads, or of the file without groups.
    static Result<ConfigUpdate> update(
            const QString &configPath, const QString &key, const std::optional<QString> &value);

    // Several changes as one edit, in order, each as update() makes it. All of them are made
    // or none: when one fails, every file the earlier ones changed, and its .bak, is put
    // back as it was. Each file changed gets one backup, of its content before the first;
    // a file that ends as it began keeps the backup it had, and its updates name none.
    using Change = std::pair<QString, std::optional<QString>>;
    static Result<QList<ConfigUpdate>> updateAll(
            const QString &configPath, const QList<Change> &changes);

    // The value as it must be written for the option-file reader to read it back unchanged.
    static QString quoteValue(const QString &value);
};

} // namespace StudioProxy
