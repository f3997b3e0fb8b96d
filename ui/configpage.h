#pragma once

#include "config/runtimevariables.h"

#include <QHash>
#include <QWidget>

class QLabel;
class QLineEdit;
class QPushButton;

namespace StudioProxy {

class ProxyConnection;

// The proxy's variables and SSL files as the config file sets them, validated as they are
// typed. Save writes only the lines that changed, through ConfigEditor (atomically, with a
// backup), then offers to apply them to the running proxy with a restart.
class ConfigPage final : public QWidget
{
    Q_OBJECT
public:
    explicit ConfigPage(ProxyConnection *connection, QWidget *parent = nullptr);

    // Reads path (in the background) and shows its values; edits not saved are dropped.
    void load(const QString &path);

    QString path() const { return m_path; }

    // What the admin typed that differs from the file: key and new value (empty: remove).
    QList<QPair<QString, QString>> changes() const;

    // Why the values as typed cannot be saved; empty when they can.
    QStringList problems() const;

    void save();

signals:
    void loaded();
    void saved(bool ok, const QString &message);

private:
    struct Row
    {
        QLineEdit *edit = nullptr;
        QLabel *problem = nullptr;
        QString original; // as the file has it; empty when unset
    };

    void validate();
    void applyToProxy();

    ProxyConnection *m_connection;
    QString m_path;
    RuntimeVariables m_fileVariables; // the file's values, the base every edit is checked on
    QHash<QString, Row> m_rows;
    QLabel *m_file;
    QLabel *m_summary;
    QLabel *m_result;
    QPushButton *m_save;
    QPushButton *m_revert;
    QPushButton *m_apply;
    QList<QPair<QString, QString>> m_lastSaved;
    bool m_loading = false;
};

} // namespace StudioProxy
