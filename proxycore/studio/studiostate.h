#pragma once

#include "util/result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace StudioProxy {

// One cluster Studio offers to connect to: a `cluster "<id>" { ... }` block of studio.hcl.
struct ClusterDefinition
{
    QString id; // the block label
    QString name;
    QString description;
    QString hostname;
    int port = 3306;
    QString profile = QStringLiteral("DEVELOPMENT"); // DEVELOPMENT, STAGING or PRODUCTION
    bool websocket = false;
    bool websocketSSL = false;

    // "Use this proxy": Studio then reaches the cluster through the proxy's WebSocket, over
    // wss:// when tls (https_proxy_port) and ws:// otherwise, on the proxy's port.
    void useProxy(bool tls, int proxyPort);

    // Whether Studio reaches the cluster through a proxy with that protocol and port.
    bool usesProxy(bool tls, int proxyPort) const;

    bool operator==(const ClusterDefinition &other) const;

    bool operator!=(const ClusterDefinition &other) const { return !(*this == other); }
};

// Studio's state file (studio.hcl): its cluster definitions, read and written losslessly.
// The model keeps the file's own bytes; an edit rewrites only the values it changes, so
// comments, order, spacing, line endings, unknown keys and unknown blocks survive.
class StudioState
{
public:
    // The same as empty().
    StudioState();

    static Result<StudioState> parse(const QByteArray &text, const QString &fileName = {});
    static Result<StudioState> load(const QString &path); // a missing file is ConfigUnreadable
    static StudioState empty(); // "version = 1\n"

    QList<ClusterDefinition> clusters() const; // in file order
    std::optional<ClusterDefinition> cluster(const QString &id) const;

    // Updates the block with cluster.id in place (only changed attributes' values), or
    // appends a new block. Fails with InvalidValue, and changes nothing, when the id is not
    // [A-Za-z0-9_-]+, the hostname is empty, the port is outside 1-65535 or the profile is
    // not DEVELOPMENT, STAGING or PRODUCTION.
    Result<void> setCluster(const ClusterDefinition &cluster);

    // Removes the block and the comment lines right above it; false when there is none.
    bool removeCluster(const QString &id);

    static QString newClusterId(); // 20 random lowercase hex digits

    QByteArray toText() const; // the whole file as it would be written

    // Replaces path atomically (QSaveFile), its previous content saved as <path>.bak, keeping
    // the file's mode and, where allowed, its owner.
    Result<void> save(const QString &path) const;

    // Why a definition cannot be written; nullopt when it can.
    static std::optional<Error> validate(const ClusterDefinition &cluster);

private:
    enum class ValueKind { String, Number, Bool, Null, Identifier, Collection };

    // Where a value's bytes are in the text, and what they mean.
    struct Value
    {
        ValueKind kind = ValueKind::Null;
        qsizetype start = 0;
        qsizetype end = 0;
        QString string;
        std::optional<qint64> integer;
        bool boolean = false;
    };

    struct Attribute
    {
        QByteArray key;
        qsizetype keyStart = 0;
        Value value;
    };

    struct ClusterBlock
    {
        ClusterDefinition definition;
        qsizetype start = 0; // the block type, "cluster"
        qsizetype close = 0; // its closing '}'
        QList<Attribute> attributes; // the known ones
    };

    class Parser;

    const ClusterBlock *block(const QString &id) const;
    QByteArray newline() const;
    QByteArray editedText(const ClusterBlock &block, const ClusterDefinition &cluster) const;
    QByteArray appendedText(const ClusterDefinition &cluster) const;

    QByteArray m_text;
    QString m_fileName;
    QList<ClusterBlock> m_clusters;
    bool m_hasVersion = false;
};

} // namespace StudioProxy
