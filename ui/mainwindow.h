#pragma once

#include "control/proxystatus.h"
#include "studio/studiostate.h"

#include <QMainWindow>

#include <optional>

class QFileSystemWatcher;
class QFrame;
class QLabel;
class QListWidget;
class QMenu;
class QPushButton;
class QStackedWidget;

namespace StudioProxy {

class CertificatesPage;
class ClustersPage;
class ConfigPage;
class ConflictBanner;
class LogPage;
class ProxyConnection;
class ProxyPage;
struct HeadlessInstance;

struct MainWindowOptions
{
    QString configPath; // the engine's config file; empty: none opened yet
    QString studioStatePath; // Studio's studio.hcl
    QString logFolder; // overrides where the built-in proxy writes websocket_proxy.log
    bool startProxy = true; // start the built-in proxy (when no headless one is taken over)
    bool lookForHeadless = true; // offer to manage a headless proxy running on this host
    QString page; // the page to show first: proxy, configuration, clusters, certificates, log
};

// The desktop app's window: the list of pages, the conflict banner above every page, and the
// wiring between them and the proxy it manages.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    enum Page { Proxy, Configuration, Clusters, Certificates, Log, PageCount };

    explicit MainWindow(const MainWindowOptions &options, QWidget *parent = nullptr);
    ~MainWindow() override;

    ProxyConnection *connection() const { return m_connection; }

    ConflictBanner *banner() const { return m_banner; }

    void showPage(Page page);
    static std::optional<Page> pageNamed(const QString &name);

    void openConfig(const QString &path);
    void openStudioState(const QString &path);

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    void offerHeadless(const QList<HeadlessInstance> &instances);
    void useBuiltIn();
    void onStatusChanged();
    void checkConflicts();
    void loadStudioState();
    void applyFix(const Conflict &conflict);
    void useThisProxyFor(const QString &clusterId);
    void rememberRecent(const QString &key, const QString &path);
    void fillRecentMenu(QMenu *menu, const QString &key, bool config);
    void updateStatusBar();

    MainWindowOptions m_options;
    ProxyConnection *m_connection;
    ConflictBanner *m_banner;
    QFrame *m_offer;
    QLabel *m_offerText;
    QPushButton *m_manage;
    QListWidget *m_pageList;
    QStackedWidget *m_pages;
    ProxyPage *m_proxyPage;
    ConfigPage *m_configPage;
    ClustersPage *m_clustersPage;
    CertificatesPage *m_certificatesPage;
    LogPage *m_logPage;
    QLabel *m_statusText;
    QLabel *m_notice;
    QFileSystemWatcher *m_studioWatcher;
    QMenu *m_recentConfigs = nullptr;
    QMenu *m_recentStates = nullptr;

    QString m_offeredSocket;
    std::optional<QList<ClusterDefinition>> m_clusters;
    QString m_studioProblem;
    bool m_checking = false;
    bool m_checkAgain = false;
};

} // namespace StudioProxy
