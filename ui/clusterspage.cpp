#include "clusterspage.h"

#include "clustersstudioservice.h"

#include <QCheckBox>
#include <QComboBox>
#include <QFile>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

enum Column { NameColumn, HostnameColumn, PortColumn, ProfileColumn, ConnectionColumn };

constexpr int MaxPort = 65535;

QString proxyScheme(bool tls)
{
    return tls ? u"wss://"_s : u"ws://"_s;
}

// How Studio reaches the cluster, as the table says it.
QString connectionOf(const ClusterDefinition &cluster)
{
    if (!cluster.websocket)
        return u"MySQL protocol"_s;
    return u"WebSocket, "_s + proxyScheme(cluster.websocketSSL);
}

QLabel *wrappedLabel(const QString &objectName, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(objectName);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

ClustersPage::ClustersPage(QWidget *parent)
    : QWidget(parent)
    , m_watcher(new QFileSystemWatcher(this))
    , m_service(new ClustersStudioService(this))
{
    buildWidgets();
    connect(m_watcher, &QFileSystemWatcher::fileChanged, this, &ClustersPage::onFileChanged);
    connect(m_service,
            &ClustersStudioService::detected,
            this,
            [this](bool installed, const QString &sentence) {
                m_studioInstalled = installed;
                m_restartStatus->setText(sentence);
                updateState();
            });
    connect(m_service,
            &ClustersStudioService::restartFinished,
            this,
            [this](bool ok, const QString &sentence) {
                m_restartStatus->setText(sentence);
                updateState();
                emit studioRestartFinished(ok, sentence);
            });
    updateState();
}

ClustersPage::~ClustersPage() = default;

void ClustersPage::buildWidgets()
{
    m_fileLabel = wrappedLabel(u"stateFileLabel"_s, this);
    m_reloadButton = new QPushButton(tr("&Reload"), this);
    m_reloadButton->setObjectName(u"reloadButton"_s);
    m_reloadButton->setToolTip(tr("Read the state file again"));
    auto *fileRow = new QHBoxLayout;
    fileRow->addWidget(m_fileLabel, 1);
    fileRow->addWidget(m_reloadButton);

    m_errorBanner = wrappedLabel(u"errorBanner"_s, this);
    m_errorBanner->setStyleSheet(u"QLabel { background: #fdecea; color: #611a15; "
                                 "border: 1px solid #f5c6cb; padding: 6px; }"_s);
    m_errorBanner->hide();

    m_table = new QTableWidget(0, 5, this);
    m_table->setObjectName(u"clusterTable"_s);
    m_table->setHorizontalHeaderLabels(
            { tr("Name"), tr("Hostname"), tr("Port"), tr("Profile"), tr("Studio connects by") });
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, [this] {
        if (m_filling)
            return;
        const QList<QTableWidgetItem *> selected = m_table->selectedItems();
        if (selected.isEmpty())
            return;
        const QString id =
                m_table->item(selected.first()->row(), NameColumn)->data(Qt::UserRole).toString();
        showCluster(m_state.cluster(id), false);
    });

    m_addButton = new QPushButton(tr("&Add"), this);
    m_addButton->setObjectName(u"addButton"_s);
    m_removeButton = new QPushButton(tr("Re&move..."), this);
    m_removeButton->setObjectName(u"removeButton"_s);
    connect(m_addButton, &QPushButton::clicked, this, &ClustersPage::addCluster);
    connect(m_removeButton, &QPushButton::clicked, this, &ClustersPage::askToRemove);
    auto *listButtons = new QHBoxLayout;
    listButtons->addWidget(m_addButton);
    listButtons->addWidget(m_removeButton);
    listButtons->addStretch();
    auto *listColumn = new QVBoxLayout;
    listColumn->addWidget(m_table, 1);
    listColumn->addLayout(listButtons);

    auto *form = new QGroupBox(tr("Cluster"), this);
    auto *fields = new QFormLayout(form);
    m_idLabel = wrappedLabel(u"idLabel"_s, form);
    m_name = new QLineEdit(form);
    m_name->setObjectName(u"nameEdit"_s);
    m_description = new QLineEdit(form);
    m_description->setObjectName(u"descriptionEdit"_s);
    m_hostname = new QLineEdit(form);
    m_hostname->setObjectName(u"hostnameEdit"_s);
    m_hostname->setToolTip(tr("The name Studio connects to; with wss:// it must be a name in "
                              "the proxy's certificate"));
    m_port = new QSpinBox(form);
    m_port->setObjectName(u"portSpin"_s);
    m_port->setRange(1, MaxPort);
    m_profile = new QComboBox(form);
    m_profile->setObjectName(u"profileCombo"_s);
    m_profile->addItems({ u"DEVELOPMENT"_s, u"STAGING"_s, u"PRODUCTION"_s });
    m_websocket = new QCheckBox(tr("Connect through a WebSocket proxy"), form);
    m_websocket->setObjectName(u"websocketCheck"_s);
    m_websocketSsl = new QCheckBox(tr("Over TLS (wss://)"), form);
    m_websocketSsl->setObjectName(u"websocketSslCheck"_s);
    m_proxyHint = wrappedLabel(u"proxyHint"_s, form);
    m_useProxyButton = new QPushButton(tr("&Use this proxy"), form);
    m_useProxyButton->setObjectName(u"useProxyButton"_s);
    m_useProxyButton->setToolTip(tr("Connect through this proxy: websocket = true, "
                                    "websocketSSL and port as the proxy serves them; saved "
                                    "at once"));
    fields->addRow(tr("Id:"), m_idLabel);
    fields->addRow(tr("&Name:"), m_name);
    fields->addRow(tr("&Description:"), m_description);
    fields->addRow(tr("&Hostname:"), m_hostname);
    fields->addRow(tr("&Port:"), m_port);
    fields->addRow(tr("Pro&file:"), m_profile);
    fields->addRow(QString(), m_websocket);
    fields->addRow(QString(), m_websocketSsl);
    fields->addRow(QString(), m_proxyHint);
    fields->addRow(QString(), m_useProxyButton);

    m_saveButton = new QPushButton(tr("&Save"), form);
    m_saveButton->setObjectName(u"saveButton"_s);
    m_revertButton = new QPushButton(tr("Re&vert"), form);
    m_revertButton->setObjectName(u"revertButton"_s);
    auto *formButtons = new QHBoxLayout;
    formButtons->addStretch();
    formButtons->addWidget(m_revertButton);
    formButtons->addWidget(m_saveButton);
    fields->addRow(formButtons);
    connect(m_saveButton, &QPushButton::clicked, this, &ClustersPage::save);
    connect(m_revertButton, &QPushButton::clicked, this, [this] {
        // A new cluster that was never saved goes; the list shows its first one again.
        const QList<ClusterDefinition> all = m_state.clusters();
        if (!m_editingIsNew)
            showCluster(m_editing, false);
        else
            showCluster(all.isEmpty() ? std::nullopt : std::optional(all.first()), false);
        fillTable();
    });
    connect(m_useProxyButton, &QPushButton::clicked, this, &ClustersPage::useProxy);
    connect(m_reloadButton, &QPushButton::clicked, this, [this] {
        reload();
        if (m_readable)
            emit stateFileChanged(m_path);
    });
    for (QLineEdit *edit : { m_name, m_description, m_hostname })
        connect(edit, &QLineEdit::textChanged, this, &ClustersPage::updateState);
    connect(m_port, &QSpinBox::valueChanged, this, &ClustersPage::updateState);
    connect(m_profile, &QComboBox::currentIndexChanged, this, &ClustersPage::updateState);
    connect(m_websocket, &QCheckBox::toggled, this, &ClustersPage::updateState);
    connect(m_websocketSsl, &QCheckBox::toggled, this, &ClustersPage::updateState);

    auto *columns = new QHBoxLayout;
    columns->addLayout(listColumn, 3);
    columns->addWidget(form, 2);

    m_status = wrappedLabel(u"statusLabel"_s, this);

    m_restartPanel = new QGroupBox(tr("Restart Studio"), this);
    m_restartPanel->setObjectName(u"restartPanel"_s);
    auto *restartLayout = new QVBoxLayout(m_restartPanel);
    auto *explanation = wrappedLabel(u"restartExplanation"_s, m_restartPanel);
    explanation->setText(tr("Studio reads its clusters only when it starts. For a package "
                            "install, restart it with:"));
    auto *command = wrappedLabel(u"restartCommand"_s, m_restartPanel);
    command->setText(ClustersStudioService::restartCommand());
    command->setStyleSheet(u"QLabel { font-family: monospace; }"_s);
    m_restartButton = new QPushButton(tr("Restart S&tudio"), m_restartPanel);
    m_restartButton->setObjectName(u"restartButton"_s);
    m_restartStatus = wrappedLabel(u"restartStatus"_s, m_restartPanel);
    auto *restartRow = new QHBoxLayout;
    restartRow->addWidget(command, 1);
    restartRow->addWidget(m_restartButton);
    restartLayout->addWidget(explanation);
    restartLayout->addLayout(restartRow);
    restartLayout->addWidget(m_restartStatus);
    m_restartPanel->hide();
    connect(m_restartButton, &QPushButton::clicked, this, [this] {
        m_restartStatus->setText(tr("Running %1...").arg(ClustersStudioService::restartCommand()));
        m_service->restart();
        updateState();
    });

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(fileRow);
    layout->addWidget(m_errorBanner);
    layout->addLayout(columns, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_restartPanel);
}

bool ClustersPage::openStateFile(const QString &path)
{
    if (!m_path.isEmpty())
        m_watcher->removePath(m_path);
    m_path = path;
    m_editing.reset();
    m_editingIsNew = false;
    m_restartPanel->hide();
    setStatus(QString(), false);
    reload();
    return m_readable;
}

void ClustersPage::reload()
{
    if (!m_watcher->files().contains(m_path) && QFileInfo::exists(m_path))
        m_watcher->addPath(m_path);

    if (!QFileInfo::exists(m_path)) {
        m_state = StudioState::empty();
        m_readable = true;
        m_error.clear();
        m_errorBanner->hide();
        m_fileLabel->setText(
                tr("%1 (does not exist yet; saving a cluster creates it)").arg(m_path));
    } else if (Result<StudioState> loaded = StudioState::load(m_path)) {
        m_state = std::move(loaded).value();
        m_readable = true;
        m_error.clear();
        m_errorBanner->hide();
        m_fileLabel->setText(tr("Studio's state file: %1").arg(m_path));
    } else {
        showLoadError(loaded.error().message);
        return;
    }

    // Keep showing the cluster the form showed, when it is still there.
    const QString id = m_editing && !m_editingIsNew ? m_editing->id : QString();
    const QList<ClusterDefinition> all = m_state.clusters();
    if (m_state.cluster(id))
        showCluster(m_state.cluster(id), false);
    else
        showCluster(all.isEmpty() ? std::nullopt : std::optional(all.first()), false);
    fillTable();
}

void ClustersPage::showLoadError(const QString &message)
{
    m_readable = false;
    m_error = message;
    m_state = StudioState::empty();
    m_fileLabel->setText(tr("Studio's state file: %1").arg(m_path));
    m_errorBanner->setText(tr("Studio's state file cannot be read, so nothing here can be "
                              "changed; the file was left as it is.\n%1\nFix it in an editor "
                              "(or restore %2.bak), then Reload.")
                                   .arg(message, m_path));
    m_errorBanner->show();
    m_editing.reset();
    m_editingIsNew = false;
    fillTable();
    showCluster(std::nullopt, false);
}

QList<ClusterDefinition> ClustersPage::clusters() const
{
    return m_readable ? m_state.clusters() : QList<ClusterDefinition>();
}

void ClustersPage::fillTable()
{
    m_filling = true;
    m_table->setRowCount(0);
    const QList<ClusterDefinition> all = clusters();
    m_table->setRowCount(int(all.size()));
    for (int row = 0; row < all.size(); ++row) {
        const ClusterDefinition &cluster = all.at(row);
        QString connection = connectionOf(cluster);
        if (m_proxyPort && cluster.usesProxy(m_proxyTls, m_proxyPort))
            connection += tr(" (this proxy)");
        const QStringList texts = { cluster.name.isEmpty() ? cluster.id : cluster.name,
            cluster.hostname,
            QString::number(cluster.port),
            cluster.profile,
            connection };
        for (int column = 0; column < texts.size(); ++column) {
            auto *item = new QTableWidgetItem(texts.at(column));
            item->setData(Qt::UserRole, cluster.id);
            m_table->setItem(row, column, item);
        }
        if (m_editing && !m_editingIsNew && m_editing->id == cluster.id)
            m_table->selectRow(row);
    }
    m_table->resizeColumnsToContents();
    m_filling = false;
}

void ClustersPage::showCluster(const std::optional<ClusterDefinition> &cluster, bool isNew)
{
    m_editing = cluster;
    m_editingIsNew = cluster && isNew;
    const ClusterDefinition shown = cluster.value_or(ClusterDefinition());
    m_filling = true;
    m_idLabel->setText(cluster ? shown.id : QString());
    m_name->setText(shown.name);
    m_description->setText(shown.description);
    m_hostname->setText(shown.hostname);
    m_port->setValue(shown.port);
    m_profile->setCurrentText(shown.profile);
    m_websocket->setChecked(shown.websocket);
    m_websocketSsl->setChecked(shown.websocketSSL);
    m_filling = false;
    updateState();
}

ClusterDefinition ClustersPage::formDefinition() const
{
    ClusterDefinition cluster = m_editing.value_or(ClusterDefinition());
    cluster.name = m_name->text();
    cluster.description = m_description->text();
    cluster.hostname = m_hostname->text().trimmed();
    cluster.port = m_port->value();
    cluster.profile = m_profile->currentText();
    cluster.websocket = m_websocket->isChecked();
    cluster.websocketSSL = m_websocketSsl->isChecked();
    return cluster;
}

bool ClustersPage::isDirty() const
{
    return m_editing && (m_editingIsNew || formDefinition() != *m_editing);
}

// Enables what makes sense now. While the form holds unsaved edits the list is locked, so
// that choosing another cluster never throws them away unasked.
void ClustersPage::updateState()
{
    if (m_filling)
        return;
    const bool dirty = isDirty();
    const bool editing = m_readable && m_editing.has_value();
    m_reloadButton->setEnabled(!dirty);
    m_table->setEnabled(m_readable && !dirty);
    m_addButton->setEnabled(m_readable && !dirty);
    m_removeButton->setEnabled(editing && !dirty && !m_editingIsNew);
    for (QWidget *field : std::initializer_list<QWidget *> { m_name,
                 m_description,
                 m_hostname,
                 m_port,
                 m_profile,
                 m_websocket,
                 m_websocketSsl }) {
        field->setEnabled(editing);
    }
    m_websocketSsl->setEnabled(editing && m_websocket->isChecked());
    m_saveButton->setEnabled(editing && dirty);
    m_revertButton->setEnabled(editing && dirty);

    const ClusterDefinition form = formDefinition();
    const bool usesProxy = m_proxyPort && form.usesProxy(m_proxyTls, m_proxyPort);
    m_useProxyButton->setEnabled(editing && m_proxyPort && !usesProxy);
    if (!editing) {
        m_proxyHint->clear();
    } else if (!m_proxyPort) {
        m_proxyHint->setText(tr("No proxy port is configured."));
    } else if (usesProxy) {
        m_proxyHint->setText(tr("Studio reaches this cluster through this proxy (%1%2:%3).")
                                     .arg(proxyScheme(m_proxyTls), form.hostname)
                                     .arg(m_proxyPort));
    } else {
        m_proxyHint->setText(tr("This proxy serves %1 on port %2; this cluster does not use it.")
                                     .arg(proxyScheme(m_proxyTls))
                                     .arg(m_proxyPort));
    }

    m_restartButton->setEnabled(m_studioInstalled && !m_service->isRestarting());
}

void ClustersPage::setProxy(bool tls, quint16 port)
{
    m_proxyTls = tls;
    m_proxyPort = port;
    fillTable();
    updateState();
}

void ClustersPage::setSystemctl(const QString &program)
{
    m_service->setSystemctl(program);
}

bool ClustersPage::selectCluster(const QString &id)
{
    const std::optional<ClusterDefinition> cluster = m_state.cluster(id);
    if (!m_readable || !cluster || isDirty())
        return false;
    showCluster(cluster, false);
    fillTable();
    return true;
}

void ClustersPage::addCluster()
{
    ClusterDefinition cluster;
    cluster.id = StudioState::newClusterId();
    cluster.name = tr("New cluster");
    cluster.hostname = u"localhost"_s;
    m_table->clearSelection();
    showCluster(cluster, true);
    m_name->setFocus();
    m_name->selectAll();
}

void ClustersPage::askToRemove()
{
    if (!m_editing || m_editingIsNew)
        return;
    const ClusterDefinition cluster = *m_editing;
    auto *box = new QMessageBox(QMessageBox::Question,
            tr("Remove cluster"),
            tr("Remove \"%1\" (%2:%3) from Studio's clusters?")
                    .arg(cluster.name, cluster.hostname)
                    .arg(cluster.port),
            QMessageBox::Yes | QMessageBox::Cancel,
            this);
    box->setObjectName(u"removeConfirmation"_s);
    box->setInformativeText(tr("The previous file is kept as %1.bak.").arg(m_path));
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, cluster] {
        if (box->clickedButton() != box->button(QMessageBox::Yes))
            return;
        const Result<void> removed = write(
                [&cluster](StudioState &state) -> Result<void> {
                    if (!state.removeCluster(cluster.id)) {
                        return Error { ErrorCode::InvalidValue,
                            tr("the cluster \"%1\" is no longer in the file").arg(cluster.name) };
                    }
                    return {};
                },
                tr("Removed \"%1\".").arg(cluster.name));
        if (removed) {
            const QList<ClusterDefinition> all = m_state.clusters();
            showCluster(all.isEmpty() ? std::nullopt : std::optional(all.first()), false);
            fillTable();
        }
    });
    box->open();
}

void ClustersPage::save()
{
    const ClusterDefinition cluster = formDefinition();
    const Result<void> saved =
            write([&cluster](StudioState &state) { return state.setCluster(cluster); },
                    m_editingIsNew ? tr("Added \"%1\".").arg(cluster.name)
                                   : tr("Saved \"%1\".").arg(cluster.name));
    if (saved) {
        showCluster(m_state.cluster(cluster.id), false);
        fillTable();
    }
}

void ClustersPage::useProxy()
{
    if (!m_proxyPort || !m_editing)
        return;
    ClusterDefinition cluster = formDefinition();
    cluster.useProxy(m_proxyTls, m_proxyPort);
    m_filling = true;
    m_port->setValue(cluster.port);
    m_websocket->setChecked(true);
    m_websocketSsl->setChecked(cluster.websocketSSL);
    m_filling = false;
    save();
}

Result<void> ClustersPage::useProxyFor(const QString &id)
{
    if (!m_proxyPort)
        return Error { ErrorCode::NoProxyPort, tr("no proxy port is configured") };
    if (!m_readable)
        return Error { ErrorCode::ConfigSyntax, m_error };
    if (isDirty()) {
        return Error { ErrorCode::InvalidValue,
            tr("the Clusters page has unsaved edits: save or revert them first") };
    }
    std::optional<ClusterDefinition> cluster = m_state.cluster(id);
    if (!cluster) {
        return Error { ErrorCode::InvalidValue,
            tr("%1 has no cluster with the id \"%2\"").arg(m_path, id) };
    }
    cluster->useProxy(m_proxyTls, m_proxyPort);
    const Result<void> saved =
            write([&cluster](StudioState &state) { return state.setCluster(*cluster); },
                    tr("\"%1\" now connects through this proxy.").arg(cluster->name));
    if (saved && m_editing && m_editing->id == id)
        showCluster(m_state.cluster(id), false);
    fillTable();
    return saved;
}

// Applies one edit to the file as it is on disk now, not as it was read: Studio (or an editor)
// may have changed it since, and those changes must survive ours.
Result<void> ClustersPage::write(
        const std::function<Result<void>(StudioState &)> &edit, const QString &done)
{
    Result<StudioState> current =
            QFileInfo::exists(m_path) ? StudioState::load(m_path) : StudioState::empty();
    if (!current) {
        const Error error = current.error();
        showLoadError(error.message);
        setStatus(tr("Nothing was saved: %1").arg(error.message), true);
        return error;
    }
    const bool changedOutside = current->toText() != m_state.toText();
    if (const Result<void> edited = edit(current.value()); !edited) {
        setStatus(tr("Nothing was saved: %1").arg(edited.error().message), true);
        return edited;
    }
    const bool existed = QFileInfo::exists(m_path);
    if (const Result<void> saved = current->save(m_path); !saved) {
        setStatus(tr("Nothing was saved: %1").arg(saved.error().message), true);
        return saved;
    }

    m_state = std::move(current).value();
    if (!m_watcher->files().contains(m_path))
        m_watcher->addPath(m_path);
    m_fileLabel->setText(tr("Studio's state file: %1").arg(m_path));
    QString status = done + u' ';
    status += existed ? tr("Wrote %1 (the previous version is %1.bak).").arg(m_path)
                      : tr("Created %1.").arg(m_path);
    if (changedOutside)
        status += tr(" Another program had changed the file since it was read; its changes "
                     "were kept.");
    setStatus(status, false);
    offerRestart();
    emit stateFileChanged(m_path);
    return {};
}

void ClustersPage::onFileChanged()
{
    // An atomic replace (Studio's, or ours) swaps the file's inode: watch the new one.
    if (QFileInfo::exists(m_path) && !m_watcher->files().contains(m_path))
        m_watcher->addPath(m_path);

    QFile file(m_path);
    if (m_readable && file.open(QIODevice::ReadOnly) && file.readAll() == m_state.toText())
        return;
    if (isDirty()) {
        setStatus(tr("Another program changed %1. Saving applies your edit to its new "
                     "content.")
                          .arg(m_path),
                false);
        return;
    }
    reload();
    if (m_readable) {
        setStatus(tr("Another program changed %1; it was read again.").arg(m_path), false);
        emit stateFileChanged(m_path);
    }
}

void ClustersPage::offerRestart()
{
    if (m_restartPanel->isHidden()) {
        m_restartPanel->show();
        m_restartStatus->setText(tr("Looking for Studio's service..."));
        m_service->detect();
    }
    updateState();
}

void ClustersPage::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? u"QLabel { color: #a61b1b; }"_s : QString());
}

} // namespace StudioProxy
