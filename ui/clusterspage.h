#pragma once

#include "studio/studiostate.h"
#include "util/result.h"

#include <QString>
#include <QWidget>

#include <functional>
#include <optional>

class QCheckBox;
class QComboBox;
class QFileSystemWatcher;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace StudioProxy {

class ClustersStudioService;

// The Clusters page: the cluster definitions in Studio's state file (studio.hcl), listed,
// added, edited and removed. Every save re-reads the file and changes only what was edited
// (StudioState), so comments, order, unknown keys and changes another program made since
// survive; the file is replaced atomically and its previous content kept as <file>.bak. A file
// that cannot be read is shown with its line and column and is never written.
//
// The main window:
//   auto *clusters = new ClustersPage(parent);
//   clusters->openStateFile(path);                  // --studio-state, or DefaultStatePath
//   clusters->setProxy(settings.protocol == ProxyProtocol::Tls, settings.port);
//   connect(clusters, &ClustersPage::stateFileChanged, ...);  // recheck conflicts, hostnames
class ClustersPage : public QWidget
{
    Q_OBJECT

public:
    // Where Studio's Debian and RPM packages keep it.
    static constexpr const char *DefaultStatePath = "/var/lib/singlestoredb-studio/studio.hcl";

    explicit ClustersPage(QWidget *parent = nullptr);
    ~ClustersPage() override;

    // Reads the state file and shows its clusters; the page then follows the file on disk.
    // A missing file counts as one without clusters, and the first save creates it. A file
    // that cannot be read or parsed: false, and errorString() and the page's banner say why
    // ("FILE:LINE:COLUMN: ..."); nothing can be edited until Reload reads it.
    bool openStateFile(const QString &path);

    QString stateFilePath() const { return m_path; }

    // Why the file could not be read; empty when it was.
    QString errorString() const { return m_error; }

    // The clusters as the file now defines them, in file order (none when it is unreadable).
    QList<ClusterDefinition> clusters() const;

    // The proxy "Use this proxy" points clusters at: wss:// when tls (https_proxy_port), else
    // ws://, on port. Port 0: no proxy is configured, and the button is disabled.
    void setProxy(bool tls, quint16 port);

    // A one-click fix for a conflict banner: "Use this proxy" on the cluster with that id,
    // saved at once. Fails, writing nothing, without a proxy (setProxy), when the file is
    // unreadable, the id is unknown, or the form has unsaved edits.
    Result<void> useProxyFor(const QString &id);

    // Shows that cluster in the form, as a click on its row does; false when there is none or
    // the form has unsaved edits.
    bool selectCluster(const QString &id);

    // The service manager program for detecting and restarting Studio ("systemctl" from
    // PATH unless changed).
    void setSystemctl(const QString &program);

signals:
    // The page wrote the file, or read it again after another program changed it.
    void stateFileChanged(const QString &path);

    // The restart the user asked for ended.
    void studioRestartFinished(bool ok, const QString &sentence);

private:
    void buildWidgets();
    void reload();
    void showLoadError(const QString &message);
    void fillTable();
    void showCluster(const std::optional<ClusterDefinition> &cluster, bool isNew);
    ClusterDefinition formDefinition() const;
    bool isDirty() const;
    void updateState();
    void addCluster();
    void askToRemove();
    void save();
    void useProxy();
    void onFileChanged();
    void offerRestart();
    Result<void> write(const std::function<Result<void>(StudioState &)> &edit, const QString &done);
    void setStatus(const QString &text, bool error);

    QString m_path;
    StudioState m_state;
    bool m_readable = false;
    QString m_error;
    std::optional<ClusterDefinition> m_editing; // what the form started from
    bool m_editingIsNew = false;
    bool m_filling = false;
    bool m_proxyTls = true;
    quint16 m_proxyPort = 0;
    bool m_studioInstalled = false;

    QFileSystemWatcher *m_watcher = nullptr;
    ClustersStudioService *m_service = nullptr;

    QLabel *m_fileLabel = nullptr;
    QLabel *m_errorBanner = nullptr;
    QTableWidget *m_table = nullptr;
    QPushButton *m_addButton = nullptr;
    QPushButton *m_removeButton = nullptr;
    QPushButton *m_reloadButton = nullptr;
    QLabel *m_idLabel = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_description = nullptr;
    QLineEdit *m_hostname = nullptr;
    QSpinBox *m_port = nullptr;
    QComboBox *m_profile = nullptr;
    QCheckBox *m_websocket = nullptr;
    QCheckBox *m_websocketSsl = nullptr;
    QLabel *m_proxyHint = nullptr;
    QPushButton *m_useProxyButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_revertButton = nullptr;
    QLabel *m_status = nullptr;
    QWidget *m_restartPanel = nullptr;
    QLabel *m_restartStatus = nullptr;
    QPushButton *m_restartButton = nullptr;
};

} // namespace StudioProxy
