#include "mainwindow.h"

#include "background.h"
#include "certificatespage.h"
#include "clusterspage.h"
#include "configpage.h"
#include "conflictbanner.h"
#include "logpage.h"
#include "proxyconnection.h"
#include "proxypage.h"

#include "control/conflictfinder.h"

#include <QApplication>
#include <QCloseEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QPushButton>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

constexpr int MaxRecentFiles = 8;

const char *const PageNames[] = { "proxy", "configuration", "clusters", "certificates", "log" };

struct StudioLoad
{
    std::optional<QList<ClusterDefinition>> clusters;
    QString problem;
};

struct Outcome
{
    bool ok = false;
    QString message;
};

} // namespace

MainWindow::MainWindow(const MainWindowOptions &options, QWidget *parent)
    : QMainWindow(parent)
    , m_options(options)
    , m_connection(new ProxyConnection(this))
    , m_banner(new ConflictBanner)
    , m_offer(new QFrame)
    , m_offerText(new QLabel)
    , m_manage(new QPushButton(tr("Manage it")))
    , m_pageList(new QListWidget)
    , m_pages(new QStackedWidget)
    , m_proxyPage(new ProxyPage(m_connection))
    , m_configPage(new ConfigPage(m_connection))
    , m_clustersPage(new ClustersPage)
    , m_certificatesPage(new CertificatesPage)
    , m_logPage(new LogPage)
    , m_statusText(new QLabel)
    , m_notice(new QLabel)
    , m_studioWatcher(new QFileSystemWatcher(this))
{
    setWindowTitle(tr("Studio Proxy"));
    setObjectName(u"mainWindow"_s);

    m_offer->setObjectName(u"headlessOffer"_s);
    m_offer->setStyleSheet(u"#headlessOffer { background: #e8f0fe; border: 1px solid #8ab4f8; }"_s);
    m_manage->setObjectName(u"manageHeadlessButton"_s);
    auto *builtIn = new QPushButton(tr("Use the built-in proxy"));
    builtIn->setObjectName(u"useBuiltInButton"_s);
    m_offerText->setWordWrap(true);
    auto *offerLayout = new QHBoxLayout(m_offer);
    offerLayout->addWidget(m_offerText, 1);
    offerLayout->addWidget(m_manage);
    offerLayout->addWidget(builtIn);
    m_offer->hide();

    m_pageList->setObjectName(u"pageList"_s);
    const QString titles[] = {
        tr("Proxy"), tr("Configuration"), tr("Clusters"), tr("Certificates"), tr("Log")
    };
    for (const QString &title : titles)
        m_pageList->addItem(title);
    m_pageList->setFixedWidth(m_pageList->sizeHintForColumn(0) + 40);
    QFont listFont = m_pageList->font();
    listFont.setPointSizeF(listFont.pointSizeF() * 1.15);
    m_pageList->setFont(listFont);
    m_pageList->setSpacing(3);

    m_pages->addWidget(m_proxyPage);
    m_pages->addWidget(m_configPage);
    m_pages->addWidget(m_clustersPage);
    m_pages->addWidget(m_certificatesPage);
    m_pages->addWidget(m_logPage);
    connect(m_pageList, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);

    auto *body = new QHBoxLayout;
    body->addWidget(m_pageList);
    body->addWidget(m_pages, 1);
    auto *central = new QWidget;
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_banner);
    layout->addWidget(m_offer);
    layout->addLayout(body, 1);
    setCentralWidget(central);

    m_notice->setObjectName(u"noticeLabel"_s);
    m_statusText->setObjectName(u"statusText"_s);
    statusBar()->addWidget(m_statusText, 1);
    statusBar()->addPermanentWidget(m_notice);
    buildMenus();

    connect(m_banner, &ConflictBanner::fixRequested, this, &MainWindow::applyFix);
    connect(m_manage, &QPushButton::clicked, this, [this] {
        m_offer->hide();
        m_connection->useHeadless(m_offeredSocket);
    });
    connect(builtIn, &QPushButton::clicked, this, [this] {
        m_offer->hide();
        useBuiltIn();
    });
    connect(m_connection, &ProxyConnection::headlessFound, this, &MainWindow::offerHeadless);
    connect(m_connection, &ProxyConnection::statusChanged, this, &MainWindow::onStatusChanged);
    connect(m_connection, &ProxyConnection::modeChanged, this, &MainWindow::updateStatusBar);
    connect(m_connection,
            &ProxyConnection::commandFinished,
            this,
            [this](const QString &command, bool ok, const QString &message) {
                if (command == u"update-config" && ok && m_configPage->changes().isEmpty())
                    m_configPage->load(m_configPage->path());
                if (command == u"update-config")
                    m_notice->setText(ok ? tr("Config file updated: %1").arg(message)
                                         : tr("Config file not updated: %1").arg(message));
            });
    connect(m_studioWatcher, &QFileSystemWatcher::fileChanged, this, &MainWindow::loadStudioState);
    connect(m_clustersPage, &ClustersPage::stateFileChanged, this, &MainWindow::loadStudioState);
    connect(m_clustersPage,
            &ClustersPage::studioRestartFinished,
            this,
            [this](bool, const QString &sentence) { m_notice->setText(sentence); });
    connect(m_certificatesPage, &CertificatesPage::configFileChanged, this, [this] {
        if (m_configPage->changes().isEmpty())
            m_configPage->load(m_configPage->path());
        m_notice->setText(tr("The config file names the new certificate; restart the proxy "
                             "(Proxy page) to serve it"));
    });

    QSettings settings;
    restoreGeometry(settings.value(u"window/geometry"_s).toByteArray());
    restoreState(settings.value(u"window/state"_s).toByteArray());
    if (!settings.contains(u"window/geometry"_s))
        resize(1180, 800);

    showPage(pageNamed(m_options.page).value_or(Proxy));
    if (!m_options.studioStatePath.isEmpty())
        openStudioState(m_options.studioStatePath);
    if (!m_options.configPath.isEmpty()) {
        rememberRecent(u"files/recentConfigs"_s, m_options.configPath);
        settings.setValue(
                u"files/lastConfig"_s, QFileInfo(m_options.configPath).absoluteFilePath());
        m_configPage->load(m_options.configPath);
    }
    if (m_options.lookForHeadless)
        m_connection->lookForHeadless();
    else
        useBuiltIn();
    updateStatusBar();
}

MainWindow::~MainWindow() = default;

std::optional<MainWindow::Page> MainWindow::pageNamed(const QString &name)
{
    for (int page = 0; page < PageCount; ++page) {
        if (name.compare(QLatin1StringView(PageNames[page]), Qt::CaseInsensitive) == 0)
            return Page(page);
    }
    return std::nullopt;
}

void MainWindow::showPage(Page page)
{
    m_pageList->setCurrentRow(page);
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    file->addAction(tr("&Open config file..."), QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this,
                tr("Open the engine's config file"),
                QFileInfo(m_connection->configPath()).absolutePath(),
                tr("Config files (*.cnf);;All files (*)"));
        if (!path.isEmpty())
            openConfig(path);
    });
    m_recentConfigs = file->addMenu(tr("Recent config files"));
    file->addAction(tr("Open &Studio state file..."), this, [this] {
        const QString path = QFileDialog::getOpenFileName(this,
                tr("Open Studio's state file"),
                QFileInfo(m_options.studioStatePath).absolutePath(),
                tr("Studio state (*.hcl);;All files (*)"));
        if (!path.isEmpty())
            openStudioState(path);
    });
    m_recentStates = file->addMenu(tr("Recent Studio state files"));
    file->addSeparator();
    file->addAction(tr("&Quit"), QKeySequence::Quit, this, &QWidget::close);
    connect(m_recentConfigs, &QMenu::aboutToShow, this, [this] {
        fillRecentMenu(m_recentConfigs, u"files/recentConfigs"_s, true);
    });
    connect(m_recentStates, &QMenu::aboutToShow, this, [this] {
        fillRecentMenu(m_recentStates, u"files/recentStudioStates"_s, false);
    });

    QMenu *proxy = menuBar()->addMenu(tr("&Proxy"));
    proxy->addAction(tr("Look for a &headless proxy on this host"), this, [this] {
        m_notice->setText(tr("Looking for a headless proxy..."));
        m_connection->lookForHeadless();
    });
    proxy->addAction(tr("Use the &built-in proxy"), this, [this] {
        m_offer->hide();
        useBuiltIn();
    });
}

void MainWindow::fillRecentMenu(QMenu *menu, const QString &key, bool config)
{
    menu->clear();
    const QStringList paths = QSettings().value(key).toStringList();
    for (const QString &path : paths) {
        menu->addAction(path, this, [this, path, config] {
            config ? openConfig(path) : openStudioState(path);
        });
    }
    if (paths.isEmpty())
        menu->addAction(tr("(none)"))->setEnabled(false);
}

void MainWindow::rememberRecent(const QString &key, const QString &path)
{
    QSettings settings;
    QStringList paths = settings.value(key).toStringList();
    const QString absolute = QFileInfo(path).absoluteFilePath();
    paths.removeAll(absolute);
    paths.prepend(absolute);
    settings.setValue(key, paths.mid(0, MaxRecentFiles));
}

void MainWindow::openConfig(const QString &path)
{
    m_options.configPath = path;
    rememberRecent(u"files/recentConfigs"_s, path);
    QSettings().setValue(u"files/lastConfig"_s, QFileInfo(path).absoluteFilePath());
    m_configPage->load(path);
    if (m_connection->mode() != ProxyConnection::Mode::Headless)
        useBuiltIn();
    updateStatusBar();
}

void MainWindow::openStudioState(const QString &path)
{
    m_options.studioStatePath = path;
    rememberRecent(u"files/recentStudioStates"_s, path);
    if (!m_studioWatcher->files().isEmpty())
        m_studioWatcher->removePaths(m_studioWatcher->files());
    m_clustersPage->openStateFile(path);
    loadStudioState();
    updateStatusBar();
}

void MainWindow::useBuiltIn()
{
    if (m_options.configPath.isEmpty()) {
        m_notice->setText(tr("Open the engine's config file (File > Open) to run the proxy"));
        return;
    }
    m_connection->useBuiltIn(m_options.configPath, m_options.startProxy, m_options.logFolder);
}

void MainWindow::offerHeadless(const QList<HeadlessInstance> &instances)
{
    const bool managing = m_connection->mode() != ProxyConnection::Mode::None;
    if (instances.isEmpty()) {
        if (!managing)
            useBuiltIn();
        else
            m_notice->setText(tr("No headless proxy answers on this host"));
        return;
    }
    // The one started with this config file first: it holds the port this window would use.
    const QString wanted = QFileInfo(m_options.configPath).absoluteFilePath();
    HeadlessInstance chosen = instances.constFirst();
    for (const HeadlessInstance &instance : instances) {
        if (QFileInfo(instance.status.configPath).absoluteFilePath() == wanted)
            chosen = instance;
    }
    m_offeredSocket = chosen.socketPath;
    m_offerText->setText(
            tr("A headless studio-proxy is running on this host (pid %1, config %2, %3). "
               "Manage it from here instead of starting the built-in proxy?")
                    .arg(QString::number(chosen.status.pid),
                            chosen.status.configPath,
                            ProxyStatus::stateName(chosen.status.state)));
    m_offer->show();
}

void MainWindow::onStatusChanged()
{
    const ProxyStatus &status = m_connection->status();
    m_logPage->follow(status.logPath);
    if (m_certificatesPage->configFile() != status.configPath && !status.configPath.isEmpty())
        m_certificatesPage->setConfigFile(status.configPath);
    // What "Use this proxy" on the Clusters page points clusters at.
    bool tls = status.state == ProxyStatus::State::Running && status.protocol == ProxyProtocol::Tls;
    quint16 port = status.state == ProxyStatus::State::Running ? status.port : 0;
    for (const ProxyStatus::Variable &variable : status.variables) {
        if (port)
            break;
        if (variable.name == u"https_proxy_port" && variable.value.toUInt()) {
            tls = true;
            port = quint16(variable.value.toUInt());
        } else if (variable.name == u"http_proxy_port" && variable.value.toUInt()) {
            port = quint16(variable.value.toUInt());
        }
    }
    m_clustersPage->setProxy(tls, port);
    if (m_configPage->path() != status.configPath && !status.configPath.isEmpty()
            && m_configPage->changes().isEmpty()) {
        m_configPage->load(status.configPath);
    }
    updateStatusBar();
    checkConflicts();
}

void MainWindow::updateStatusBar()
{
    QString config = m_connection->configPath();
    if (config.isEmpty())
        config = m_options.configPath;
    setWindowTitle(config.isEmpty() ? tr("Studio Proxy")
                                    : tr("Studio Proxy - %1").arg(QFileInfo(config).fileName()));
    QString text = tr("Managing %1").arg(m_connection->description());
    if (!m_options.studioStatePath.isEmpty()) {
        text += tr("  |  Studio state: %1%2")
                        .arg(m_options.studioStatePath,
                                m_studioProblem.isEmpty() ? QString()
                                                          : tr(" (%1)").arg(m_studioProblem));
    }
    m_statusText->setText(text);
}

void MainWindow::loadStudioState()
{
    const QString path = m_options.studioStatePath;
    if (path.isEmpty())
        return;
    inBackground<StudioLoad>(
            this,
            [path] {
                StudioLoad loaded;
                const Result<StudioState> state = StudioState::load(path);
                if (state)
                    loaded.clusters = state->clusters();
                else
                    loaded.problem = state.error().message;
                return loaded;
            },
            [this, path](const StudioLoad &loaded) {
                if (path != m_options.studioStatePath)
                    return;
                m_clusters = loaded.clusters;
                m_studioProblem = loaded.problem;
                QStringList hostnames;
                for (const ClusterDefinition &cluster :
                        loaded.clusters.value_or(QList<ClusterDefinition>())) {
                    if (cluster.websocket && !hostnames.contains(cluster.hostname))
                        hostnames << cluster.hostname;
                }
                if (hostnames != m_certificatesPage->studioHostnames())
                    m_certificatesPage->setStudioHostnames(hostnames);
                // Atomic saves replace the file, which drops it from the watcher.
                if (QFileInfo::exists(path) && !m_studioWatcher->files().contains(path))
                    m_studioWatcher->addPath(path);
                updateStatusBar();
                checkConflicts();
            });
}

void MainWindow::checkConflicts()
{
    if (!m_connection->hasStatus())
        return;
    if (m_checking) {
        m_checkAgain = true;
        return;
    }
    m_checking = true;
    ConflictInputs inputs;
    inputs.status = m_connection->status();
    inputs.clusters = m_clusters;
    inputs.studioStatePath = m_options.studioStatePath;
    inBackground<QList<Conflict>>(
            this,
            [inputs] { return findConflicts(inputs); },
            [this](const QList<Conflict> &conflicts) {
                m_checking = false;
                m_banner->setConflicts(conflicts);
                if (m_checkAgain) {
                    m_checkAgain = false;
                    checkConflicts();
                }
            });
}

void MainWindow::applyFix(const Conflict &conflict)
{
    switch (conflict.fix.action) {
    case ConflictFix::Action::SetVariable: {
        const ProxyStatus::State state = m_connection->status().state;
        // Persisted first, so that the fix outlives the next start; then applied.
        m_connection->updateConfig(conflict.fix.key, conflict.fix.value);
        m_connection->setVariables(
                { { conflict.fix.key, conflict.fix.value } }, state != ProxyStatus::State::Stopped);
        m_notice->setText(tr("Setting %1 to %2...").arg(conflict.fix.key, conflict.fix.value));
        break;
    }
    case ConflictFix::Action::UseThisProxy:
        useThisProxyFor(conflict.fix.clusterId);
        break;
    case ConflictFix::Action::OpenCertificates:
        showPage(Certificates);
        break;
    case ConflictFix::Action::None:
        break;
    }
}

// websocket = true, websocketSSL as the proxy serves, port the proxy's: Studio then reaches
// the engine through this proxy.
void MainWindow::useThisProxyFor(const QString &clusterId)
{
    const ProxyStatus status = m_connection->status();
    const QString path = m_options.studioStatePath;
    const bool running = status.state == ProxyStatus::State::Running;
    quint16 port = running ? status.port : 0;
    bool tls = running && status.protocol == ProxyProtocol::Tls;
    for (const ProxyStatus::Variable &variable : status.variables) {
        if (!running && variable.name == u"https_proxy_port" && variable.value.toUInt()) {
            port = quint16(variable.value.toUInt());
            tls = true;
        }
        if (!running && !port && variable.name == u"http_proxy_port")
            port = quint16(variable.value.toUInt());
    }
    inBackground<Outcome>(
            this,
            [path, clusterId, port, tls] {
                Outcome outcome;
                Result<StudioState> state = StudioState::load(path);
                if (!state) {
                    outcome.message = state.error().message;
                    return outcome;
                }
                std::optional<ClusterDefinition> cluster = state->cluster(clusterId);
                if (!cluster) {
                    outcome.message = tr("no cluster %1 in %2").arg(clusterId, path);
                    return outcome;
                }
                cluster->websocket = true;
                cluster->websocketSSL = tls;
                cluster->port = port;
                if (const Result<void> set = state->setCluster(*cluster); !set) {
                    outcome.message = set.error().message;
                    return outcome;
                }
                if (const Result<void> saved = state->save(path); !saved) {
                    outcome.message = saved.error().message;
                    return outcome;
                }
                outcome.ok = true;
                outcome.message = tr("Studio's cluster \"%1\" now uses this proxy; restart Studio "
                                     "to apply it (systemctl restart singlestoredb-studio)")
                                          .arg(cluster->name);
                return outcome;
            },
            [this](const Outcome &outcome) {
                m_notice->setText(outcome.ok ? outcome.message
                                             : tr("Studio's state file was not changed: %1")
                                                       .arg(outcome.message));
                loadStudioState();
            });
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings settings;
    settings.setValue(u"window/geometry"_s, saveGeometry());
    settings.setValue(u"window/state"_s, saveState());
    QMainWindow::closeEvent(event);
}

} // namespace StudioProxy
