#include "certificatespage.h"

#include "certs/certgenerator.h"
#include "certs/hostnames.h"
#include "certs/threadrelease.h"
#include "certs/trustreport.h"
#include "config/configfile.h"
#include "config/runtimevariables.h"

#include <QCheckBox>
#include <QComboBox>
#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSslCertificate>
#include <QStyle>
#include <QTabWidget>
#include <QTableWidget>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

using namespace Qt::StringLiterals;

namespace StudioProxy {

// What the checks found, made on a worker thread from the config file's current content.
struct CertificatesCheckOutcome
{
    bool tls = false;
    quint16 port = 0;
    QString certPath;
    QString caPath;
    std::optional<CheckReport> report;
    QString error; // why there is no report
};

struct CertificatesGenerateOutcome
{
    QStringList hosts;
    std::optional<GeneratedCertificates> files;
    QList<ConfigUpdate> updates;
    QString error; // generation failed: nothing to show
    QString configError; // the files were made, the config file was not changed
};

struct CertificatesTrustOutcome
{
    std::optional<TrustReport> report;
    QString error;
};

namespace {

enum CheckColumn { VerdictColumn, TitleColumn, SentenceColumn };

constexpr int CheckNameRole = Qt::UserRole;

QStringList splitHosts(const QString &text)
{
    static const QRegularExpression separators(u"[,\\s]+"_s);
    QStringList hosts;
    for (const QString &host : text.split(separators, Qt::SkipEmptyParts)) {
        if (!hosts.contains(host))
            hosts << host;
    }
    return hosts;
}

CertificatesCheckOutcome runChecks(
        const QString &configPath, const QStringList &hosts, const QByteArray &passphrase)
{
    const OpenSslThreadRelease release; // on a pool thread
    CertificatesCheckOutcome outcome;
    const Result<ConfigFile> config = ConfigFile::read(configPath);
    if (!config) {
        outcome.error = config.error().message;
        return outcome;
    }
    const Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(config.value());
    if (!variables) {
        outcome.error = variables.error().message;
        return outcome;
    }
    const quint16 https = variables->port(u"https_proxy_port"_s);
    outcome.tls = https != 0;
    outcome.port = https ? https : variables->port(u"http_proxy_port"_s);

    CheckRequest request;
    request.certPath = variables->value(u"ssl_cert"_s);
    request.keyPath = variables->value(u"ssl_key"_s);
    request.caPath = variables->value(u"ssl_ca"_s);
    request.passphrase.file = variables->value(u"ssl_key_passphrase_file"_s);
    request.passphrase.text = passphrase;
    request.hostnames = hosts;
    outcome.certPath = request.certPath;
    outcome.caPath = request.caPath;
    if (request.certPath.isEmpty()) {
        outcome.error = QCoreApplication::translate("StudioProxy::CertificatesPage",
                "%1 sets no ssl_cert, so there is no certificate to check. Generate one (the "
                "Generate tab), or set ssl_cert and ssl_key.")
                                .arg(configPath);
        return outcome;
    }
    Result<CheckReport> report = checkCertificate(request);
    if (report)
        outcome.report = std::move(report).value();
    else
        outcome.error = report.error().message;
    return outcome;
}

CertificatesGenerateOutcome runGeneration(
        const GenerateRequest &request, const QString &configToUpdate)
{
    const OpenSslThreadRelease release; // on a pool thread
    CertificatesGenerateOutcome outcome;
    outcome.hosts = request.hosts;
    Result<GeneratedCertificates> files = CertificateGenerator::generate(request);
    if (!files) {
        outcome.error = files.error().message;
        return outcome;
    }
    outcome.files = files.value();
    if (!configToUpdate.isEmpty()) {
        const Result<QList<ConfigUpdate>> updates =
                CertificateGenerator::useInConfig(configToUpdate, files.value());
        if (updates)
            outcome.updates = updates.value();
        else
            outcome.configError = updates.error().message;
    }
    return outcome;
}

QIcon verdictIcon(const QStyle *style, Verdict verdict)
{
    switch (verdict) {
    case Verdict::Pass:
        return style->standardIcon(QStyle::SP_DialogApplyButton);
    case Verdict::Warning:
        return style->standardIcon(QStyle::SP_MessageBoxWarning);
    case Verdict::Fail:
        return style->standardIcon(QStyle::SP_MessageBoxCritical);
    }
    return {};
}

void addRow(QTreeWidgetItem *parent, const QString &label, const QString &value)
{
    auto *item = new QTreeWidgetItem(parent, { label, value });
    item->setToolTip(1, value);
}

QTreeWidgetItem *certificateItem(const QString &title, const CertificateInfo &cert)
{
    auto *item = new QTreeWidgetItem({ title, cert.subject });
    addRow(item, QObject::tr("Subject"), cert.subject);
    addRow(item, QObject::tr("Issuer"), cert.issuer);
    addRow(item,
            QObject::tr("Names"),
            cert.hasSubjectAltName ? cert.names().join(u", "_s)
                                   : QObject::tr("(no subjectAltName: browsers accept no name)"));
    addRow(item, QObject::tr("Valid from"), cert.notBefore.toUTC().toString(Qt::ISODate));
    addRow(item, QObject::tr("Valid until"), cert.notAfter.toUTC().toString(Qt::ISODate));
    addRow(item, QObject::tr("Key"), cert.keyDescription());
    addRow(item, QObject::tr("Signature algorithm"), cert.signatureAlgorithm);
    addRow(item, QObject::tr("SHA-256 fingerprint"), cert.fingerprint);
    addRow(item, QObject::tr("Serial number"), cert.serialNumber);
    QStringList usage;
    if (cert.hasBasicConstraints)
        usage << (cert.isCa ? u"CA:TRUE"_s : u"CA:FALSE"_s);
    usage << cert.keyUsage << cert.extendedKeyUsage;
    addRow(item,
            QObject::tr("Usage"),
            usage.isEmpty() ? QObject::tr("(none stated)") : usage.join(u", "_s));
    return item;
}

QTreeWidgetItem *keyItem(const KeyFileInfo &key)
{
    auto *item = new QTreeWidgetItem({ QObject::tr("Private key"), key.path });
    const auto yesNo = [](bool value) {
        return value ? QObject::tr("yes") : QObject::tr("no");
    };
    addRow(item, QObject::tr("File"), key.path);
    if (!key.exists) {
        addRow(item, QObject::tr("Read"), QObject::tr("no: %1").arg(key.error));
        return item;
    }
    addRow(item, QObject::tr("Encrypted"), yesNo(key.encrypted));
    if (key.loaded) {
        addRow(item,
                QObject::tr("Key"),
                key.curve.isEmpty() ? u"%1 %2"_s.arg(key.keyType).arg(key.keyBits)
                                    : key.keyType + u' ' + key.curve);
    } else {
        addRow(item, QObject::tr("Read"), QObject::tr("no: %1").arg(key.error));
    }
    addRow(item,
            QObject::tr("Matches the server certificate"),
            key.matchesLeaf ? yesNo(*key.matchesLeaf) : QObject::tr("unknown"));
    addRow(item, QObject::tr("Readable by other users"), yesNo(key.readableByOthers));
    return item;
}

QString describeTrust(const TrustReport &report)
{
    QString text = QObject::tr("To trust the CA %1\n(SHA-256 %2):\n")
                           .arg(report.caSubject, report.caFingerprint);
    if (!report.certutilFound) {
        text += QObject::tr("\ncertutil is not installed (Debian package libnss3-tools): the "
                            "browsers' databases cannot be read or changed without it.\n");
    }
    for (const TrustStore &store : report.stores) {
        text += u"\n%1\n  %2\n  %3\n"_s.arg(store.application, store.location, store.sentence);
        for (const QString &command : store.commands)
            text += u"    $ "_s + command + u'\n';
    }
    text += QObject::tr("\nRestart the browser afterwards; Firefox reads its database only at "
                        "start.\n");
    return text;
}

QString defaultCertificateFolder()
{
    const QString state =
            qEnvironmentVariable("XDG_STATE_HOME", QDir::homePath() + u"/.local/state"_s);
    return state + u"/studio-proxy/certs"_s;
}

} // namespace

CertificatesPage::CertificatesPage(QWidget *parent)
    : QWidget(parent)
    , m_checkWatcher(new QFutureWatcher<CertificatesCheckOutcome>(this))
    , m_generateWatcher(new QFutureWatcher<CertificatesGenerateOutcome>(this))
    , m_trustWatcher(new QFutureWatcher<CertificatesTrustOutcome>(this))
{
    buildWidgets();
    connect(m_checkWatcher, &QFutureWatcherBase::finished, this, [this] {
        showChecks(m_checkWatcher->result());
    });
    connect(m_generateWatcher, &QFutureWatcherBase::finished, this, [this] {
        showGenerated(m_generateWatcher->result());
    });
    connect(m_trustWatcher, &QFutureWatcherBase::finished, this, [this] {
        showTrust(m_trustWatcher->result());
    });
    updateState();
}

// Work still running on the pool finishes there on copies of what it was given; its result
// has no one to go to.
CertificatesPage::~CertificatesPage() = default;

void CertificatesPage::buildWidgets()
{
    m_configLabel = new QLabel(tr("No config file."), this);
    m_configLabel->setObjectName(u"configLabel"_s);
    m_configLabel->setTextFormat(Qt::PlainText);
    m_configLabel->setWordWrap(true);
    m_configLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_hostnames = new QLineEdit(this);
    m_hostnames->setObjectName(u"hostnamesEdit"_s);
    m_hostnames->setPlaceholderText(tr("the names Studio connects to, e.g. db1.example.com"));
    m_hostnames->setToolTip(tr("Each must be a name in the certificate; separate them with "
                               "commas or spaces"));
    m_passphrase = new QLineEdit(this);
    m_passphrase->setObjectName(u"passphraseEdit"_s);
    m_passphrase->setEchoMode(QLineEdit::Password);
    m_passphrase->setPlaceholderText(
            tr("only for an encrypted ssl_key without ssl_key_passphrase_file; never saved"));
    m_checkButton = new QPushButton(tr("&Check again"), this);
    m_checkButton->setObjectName(u"checkButton"_s);
    connect(m_checkButton, &QPushButton::clicked, this, &CertificatesPage::refresh);
    connect(m_passphrase, &QLineEdit::returnPressed, this, &CertificatesPage::refresh);
    connect(m_hostnames, &QLineEdit::returnPressed, this, &CertificatesPage::refresh);

    auto *inputs = new QFormLayout;
    inputs->addRow(tr("Config file:"), m_configLabel);
    inputs->addRow(tr("Studio's &hostnames:"), m_hostnames);
    auto *passphraseRow = new QHBoxLayout;
    passphraseRow->addWidget(m_passphrase, 1);
    passphraseRow->addWidget(m_checkButton);
    auto *passphraseLabel = new QLabel(tr("Key &passphrase:"), this);
    passphraseLabel->setBuddy(m_passphrase);
    inputs->addRow(passphraseLabel, passphraseRow);

    m_summary = new QLabel(this);
    m_summary->setObjectName(u"summaryLabel"_s);
    m_summary->setTextFormat(Qt::PlainText);
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_tabs = new QTabWidget(this);
    m_tabs->addTab(buildChecksTab(), tr("Checks"));
    m_tabs->addTab(buildDetailsTab(), tr("Certificate"));
    m_tabs->addTab(buildGenerateTab(), tr("Generate"));
    m_tabs->addTab(buildTrustTab(), tr("Trust and export"));

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(inputs);
    layout->addWidget(m_summary);
    layout->addWidget(m_tabs, 1);
}

QWidget *CertificatesPage::buildChecksTab()
{
    // A table, since it wraps each sentence over as many lines as it needs; they say what to
    // do, so none may be cut off.
    m_checks = new QTableWidget(0, 3, this);
    m_checks->setObjectName(u"checksTable"_s);
    m_checks->setHorizontalHeaderLabels({ tr("Verdict"), tr("Check"), tr("What it means") });
    m_checks->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_checks->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_checks->setWordWrap(true);
    m_checks->setShowGrid(false);
    m_checks->verticalHeader()->hide();
    m_checks->horizontalHeader()->setStretchLastSection(true);
    // Queued: the new width is in place only once the resize that caused it is over.
    connect(m_checks->horizontalHeader(),
            &QHeaderView::sectionResized,
            m_checks,
            &QTableWidget::resizeRowsToContents,
            Qt::QueuedConnection);
    return m_checks;
}

QWidget *CertificatesPage::buildDetailsTab()
{
    m_details = new QTreeWidget(this);
    m_details->setObjectName(u"detailsTree"_s);
    m_details->setHeaderLabels({ tr("Field"), tr("Value") });
    m_details->header()->setStretchLastSection(true);
    return m_details;
}

QWidget *CertificatesPage::buildGenerateTab()
{
    auto *tab = new QWidget(this);
    auto *intro = new QLabel(tr("A development CA, and a server certificate it signs for the "
                                "names and addresses listed. Browsers accept it once they "
                                "trust the CA (the Trust and export tab). Key files are "
                                "written with mode 0600; files replaced are kept as .bak."),
            tab);
    intro->setWordWrap(true);

    m_generateHosts = new QLineEdit(tab);
    m_generateHosts->setObjectName(u"generateHostsEdit"_s);
    m_generateHosts->setPlaceholderText(tr("localhost, 127.0.0.1, db1.example.com"));
    m_generateFolder = new QLineEdit(defaultCertificateFolder(), tab);
    m_generateFolder->setObjectName(u"generateFolderEdit"_s);
    auto *browse = new QPushButton(tr("&Browse..."), tab);
    connect(browse, &QPushButton::clicked, this, [this] {
        auto *dialog =
                new QFileDialog(this, tr("Folder for the certificates"), m_generateFolder->text());
        dialog->setFileMode(QFileDialog::Directory);
        dialog->setOption(QFileDialog::ShowDirsOnly);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QFileDialog::fileSelected, m_generateFolder, &QLineEdit::setText);
        dialog->open();
    });
    auto *folderRow = new QHBoxLayout;
    folderRow->addWidget(m_generateFolder, 1);
    folderRow->addWidget(browse);
    m_keyType = new QComboBox(tab);
    m_keyType->setObjectName(u"keyTypeCombo"_s);
    m_keyType->addItem(tr("EC P-256 (small, every current browser)"), 0);
    m_keyType->addItem(tr("RSA 2048"), 2048);
    m_keyType->addItem(tr("RSA 3072"), 3072);
    m_keyType->addItem(tr("RSA 4096"), 4096);
    m_updateConfig =
            new QCheckBox(tr("Point ssl_cert and ssl_key of the config file at them"), tab);
    m_updateConfig->setObjectName(u"updateConfigCheck"_s);
    m_generateButton = new QPushButton(tr("&Generate"), tab);
    m_generateButton->setObjectName(u"generateButton"_s);
    connect(m_generateButton, &QPushButton::clicked, this, &CertificatesPage::generate);
    m_generateResult = new QPlainTextEdit(tab);
    m_generateResult->setObjectName(u"generateResult"_s);
    m_generateResult->setReadOnly(true);

    auto *form = new QFormLayout;
    form->addRow(tr("&Names and addresses:"), m_generateHosts);
    auto *folderLabel = new QLabel(tr("&Folder:"), tab);
    folderLabel->setBuddy(m_generateFolder);
    form->addRow(folderLabel, folderRow);
    form->addRow(tr("&Key:"), m_keyType);
    form->addRow(QString(), m_updateConfig);
    auto *buttonRow = new QHBoxLayout;
    buttonRow->addStretch();
    buttonRow->addWidget(m_generateButton);
    auto *layout = new QVBoxLayout(tab);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addLayout(buttonRow);
    layout->addWidget(m_generateResult, 1);
    return tab;
}

QWidget *CertificatesPage::buildTrustTab()
{
    auto *tab = new QWidget(this);
    m_caPath = new QLineEdit(tab);
    m_caPath->setObjectName(u"caPathEdit"_s);
    m_caPath->setPlaceholderText(tr("the CA certificate browsers should trust (PEM)"));
    connect(m_caPath, &QLineEdit::editingFinished, this, [this] {
        m_caChosenByUser = true;
        refreshTrust();
    });
    m_exportPemButton = new QPushButton(tr("Export &PEM..."), tab);
    m_exportPemButton->setObjectName(u"exportPemButton"_s);
    m_exportDerButton = new QPushButton(tr("Export &DER..."), tab);
    m_exportDerButton->setObjectName(u"exportDerButton"_s);
    connect(m_exportPemButton, &QPushButton::clicked, this, [this] { askExportPath(false); });
    connect(m_exportDerButton, &QPushButton::clicked, this, [this] { askExportPath(true); });
    auto *caRow = new QHBoxLayout;
    caRow->addWidget(new QLabel(tr("CA certificate:"), tab));
    caRow->addWidget(m_caPath, 1);
    caRow->addWidget(m_exportPemButton);
    caRow->addWidget(m_exportDerButton);

    m_exportResult = new QLabel(tab);
    m_exportResult->setObjectName(u"exportResult"_s);
    m_exportResult->setTextFormat(Qt::PlainText);
    m_exportResult->setWordWrap(true);
    m_exportResult->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_trustSteps = new QPlainTextEdit(tab);
    m_trustSteps->setObjectName(u"trustSteps"_s);
    m_trustSteps->setReadOnly(true);
    m_trustSteps->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_trustSteps->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));

    m_trustCheckButton = new QPushButton(tr("&Open the trust-check page"), tab);
    m_trustCheckButton->setObjectName(u"trustCheckButton"_s);
    m_trustCheckButton->setToolTip(tr("Opens the proxy's own page in your browser: it says "
                                      "whether the browser trusts the certificate for this "
                                      "name and reaches the engine through the WebSocket"));
    connect(m_trustCheckButton, &QPushButton::clicked, this, &CertificatesPage::openTrustCheck);
    m_trustCheckUrl = new QLabel(tab);
    m_trustCheckUrl->setObjectName(u"trustCheckUrl"_s);
    m_trustCheckUrl->setTextFormat(Qt::PlainText);
    m_trustCheckUrl->setWordWrap(true);
    m_trustCheckUrl->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *checkRow = new QHBoxLayout;
    checkRow->addWidget(m_trustCheckButton);
    checkRow->addWidget(m_trustCheckUrl, 1);

    auto *layout = new QVBoxLayout(tab);
    layout->addLayout(caRow);
    layout->addWidget(m_exportResult);
    layout->addWidget(m_trustSteps, 1);
    layout->addLayout(checkRow);
    return tab;
}

void CertificatesPage::setConfigFile(const QString &path)
{
    m_configPath = path;
    m_configLabel->setText(path);
    m_updateConfig->setText(
            tr("Point ssl_cert and ssl_key of %1 at them").arg(QFileInfo(path).fileName()));
    m_updateConfig->setToolTip(path);
    refresh();
}

void CertificatesPage::setStudioHostnames(const QStringList &hostnames)
{
    m_studioHostnames.clear();
    for (const QString &host : hostnames) {
        if (!host.isEmpty() && !m_studioHostnames.contains(host))
            m_studioHostnames << host;
    }
    m_hostnames->setText(m_studioHostnames.join(u", "_s));
    if (m_generateHosts->text().isEmpty())
        m_generateHosts->setText(m_studioHostnames.join(u", "_s));
    refresh();
}

void CertificatesPage::refresh()
{
    if (m_configPath.isEmpty())
        return;
    m_summary->setText(tr("Checking %1...").arg(m_configPath));
    m_summary->setStyleSheet(QString());
    m_checkWatcher->setFuture(QtConcurrent::run(runChecks,
            m_configPath,
            splitHosts(m_hostnames->text()),
            m_passphrase->text().toUtf8()));
    updateState();
}

bool CertificatesPage::isBusy() const
{
    return m_checkWatcher->isRunning() || m_generateWatcher->isRunning()
            || m_trustWatcher->isRunning();
}

void CertificatesPage::showChecks(const CertificatesCheckOutcome &outcome)
{
    m_tls = outcome.tls;
    m_port = outcome.port;
    m_report = outcome.report;
    m_error = outcome.error;
    m_checks->setRowCount(0);
    m_details->clear();

    if (!m_report) {
        m_summary->setText(m_error);
        m_summary->setStyleSheet(u"QLabel { color: #a61b1b; }"_s);
    } else {
        int failed = 0;
        int warnings = 0;
        for (const CertificateCheck &check : m_report->checks) {
            const int row = m_checks->rowCount();
            m_checks->insertRow(row);
            const QStringList texts = { verdictName(check.verdict), check.title, check.sentence };
            for (int column = VerdictColumn; column <= SentenceColumn; ++column) {
                auto *item = new QTableWidgetItem(texts.at(column));
                item->setData(CheckNameRole, check.name);
                item->setTextAlignment(Qt::AlignLeft | Qt::AlignVCenter);
                m_checks->setItem(row, column, item);
            }
            m_checks->item(row, VerdictColumn)->setIcon(verdictIcon(style(), check.verdict));
            failed += check.verdict == Verdict::Fail;
            warnings += check.verdict == Verdict::Warning;
        }
        m_checks->resizeColumnToContents(VerdictColumn);
        m_checks->resizeColumnToContents(TitleColumn);
        m_checks->resizeRowsToContents();
        const int passed = int(m_report->checks.size()) - failed - warnings;
        QString summary = failed == 1 ? tr("1 check failed")
                : failed              ? tr("%1 checks failed").arg(failed)
                                      : tr("%1 checks passed").arg(passed);
        if (warnings)
            summary += warnings == 1 ? tr(", 1 warning") : tr(", %1 warnings").arg(warnings);
        if (!m_tls)
            summary += tr(" (the proxy serves ws:// now: browsers see no certificate)");
        m_summary->setText(summary + u'.');
        m_summary->setStyleSheet(failed ? u"QLabel { color: #a61b1b; }"_s
                        : warnings      ? u"QLabel { color: #8a6d00; }"_s
                                        : u"QLabel { color: #1b6e20; }"_s);

        const CertificateInspection &inspection = m_report->inspection;
        for (qsizetype i = 0; i < inspection.chain.size(); ++i) {
            const QString title = i == 0 ? tr("Server certificate") : tr("Issuer %1").arg(i);
            m_details->addTopLevelItem(certificateItem(title, inspection.chain.at(i)));
        }
        if (!inspection.key.path.isEmpty())
            m_details->addTopLevelItem(keyItem(inspection.key));
        auto *file =
                new QTreeWidgetItem(m_details, { tr("Certificate file"), inspection.certPath });
        addRow(file, tr("Certificates in it"), QString::number(inspection.inFile.size()));
        if (!inspection.caPath.isEmpty())
            addRow(file, tr("CA file (ssl_ca)"), inspection.caPath);
        m_details->expandAll();
        m_details->resizeColumnToContents(0);
    }

    // The CA to trust: the one named by ssl_ca, else the development CA beside the
    // certificate (what Generate writes).
    if (!m_caChosenByUser && m_caPath->text().isEmpty()) {
        QString ca = outcome.caPath;
        const QString folder = QFileInfo(outcome.certPath).absolutePath();
        if (ca.isEmpty() && !outcome.certPath.isEmpty() && QFileInfo::exists(folder + u"/ca.crt"_s))
            ca = folder + u"/ca.crt"_s;
        if (!ca.isEmpty()) {
            m_caPath->setText(ca);
            refreshTrust();
        }
    }
    updateState();
    emit checksFinished(m_report && m_report->passed());
}

void CertificatesPage::generate()
{
    GenerateRequest request;
    request.hosts = splitHosts(m_generateHosts->text());
    request.outputFolder = m_generateFolder->text().trimmed();
    if (request.hosts.isEmpty()) {
        m_generateResult->setPlainText(tr("List at least one name or address."));
        return;
    }
    for (const QString &host : std::as_const(request.hosts)) {
        if (const Result<void> usable = checkHostForCertificate(host); !usable) {
            m_generateResult->setPlainText(usable.error().message);
            return;
        }
    }
    if (request.outputFolder.isEmpty()) {
        m_generateResult->setPlainText(tr("Choose the folder for the files."));
        return;
    }
    if (const int bits = m_keyType->currentData().toInt()) {
        request.algorithm = KeyAlgorithm::Rsa;
        request.rsaBits = bits;
    }
    const QString config =
            m_updateConfig->isChecked() && !m_configPath.isEmpty() ? m_configPath : QString();
    m_generateResult->setPlainText(tr("Generating for %1...").arg(request.hosts.join(u", "_s)));
    m_generateWatcher->setFuture(QtConcurrent::run(runGeneration, request, config));
    updateState();
}

void CertificatesPage::showGenerated(const CertificatesGenerateOutcome &outcome)
{
    if (!outcome.files) {
        m_generateResult->setPlainText(tr("Nothing was made: %1").arg(outcome.error));
        updateState();
        return;
    }
    const GeneratedCertificates &files = *outcome.files;
    QStringList lines;
    lines << (files.caReused ? tr("Used the development CA %1 (key %2).")
                             : tr("Made the development CA %1 (key %2)."))
                     .arg(files.caCert, files.caKey);
    lines << tr("Made the server certificate %1 for %2 (key %3).")
                     .arg(files.cert, outcome.hosts.join(u", "_s), files.key);
    lines << tr("The CA also as %1 (PEM, for update-ca-certificates) and %2 (DER).")
                     .arg(files.caCrt, files.caDer);
    for (const QString &backup : files.backups)
        lines << tr("Kept the previous file as %1.").arg(backup);
    for (const ConfigUpdate &update : outcome.updates) {
        lines << (update.backup.isEmpty()
                        ? tr("%1: %2 (already so).").arg(update.file, update.change)
                        : tr("%1: %2 (previous version in %3).")
                                  .arg(update.file, update.change, update.backup));
    }
    if (!outcome.updates.isEmpty())
        lines << tr("Restart the proxy to serve the new certificate.");
    if (!outcome.configError.isEmpty())
        lines << tr("The config file was not changed: %1").arg(outcome.configError);
    lines << tr("Next: make browsers trust the CA (the Trust and export tab).");
    m_generateResult->setPlainText(lines.join(u'\n'));

    m_caChosenByUser = false;
    m_caPath->setText(files.caCrt);
    refreshTrust();
    if (!outcome.updates.isEmpty()) {
        emit configFileChanged(m_configPath);
        refresh();
    }
    updateState();
}

void CertificatesPage::refreshTrust()
{
    const QString ca = m_caPath->text().trimmed();
    if (ca.isEmpty()) {
        m_trustSteps->setPlainText(tr("Name the CA certificate above, or generate one."));
        return;
    }
    m_trustSteps->setPlainText(tr("Looking at where browsers keep their trusted roots..."));
    m_trustWatcher->setFuture(QtConcurrent::run([ca] {
        const OpenSslThreadRelease release;
        CertificatesTrustOutcome outcome;
        Result<TrustReport> report = TrustReport::build(ca);
        if (report)
            outcome.report = std::move(report).value();
        else
            outcome.error = report.error().message;
        return outcome;
    }));
    updateState();
}

void CertificatesPage::showTrust(const CertificatesTrustOutcome &outcome)
{
    m_trustSteps->setPlainText(outcome.report ? describeTrust(*outcome.report) : outcome.error);
    updateState();
}

void CertificatesPage::askExportPath(bool der)
{
    const QString name = der ? u"studio-proxy-ca.der"_s : u"studio-proxy-ca.crt"_s;
    auto *dialog = new QFileDialog(this,
            der ? tr("Export the CA certificate (DER)") : tr("Export the CA certificate (PEM)"));
    dialog->setObjectName(u"exportDialog"_s);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setNameFilter(
            der ? tr("DER certificates (*.der *.cer)") : tr("PEM certificates (*.crt *.pem)"));
    dialog->setDirectory(QDir::homePath());
    dialog->selectFile(name);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, [this, der](const QString &path) {
        exportCa(path, der);
    });
    dialog->open();
}

void CertificatesPage::exportCa(const QString &path, bool der)
{
    const QString ca = m_caPath->text().trimmed();
    QList<QSslCertificate> certificates = QSslCertificate::fromPath(ca, QSsl::Pem);
    if (certificates.isEmpty())
        certificates = QSslCertificate::fromPath(ca, QSsl::Der);
    if (certificates.isEmpty()) {
        m_exportResult->setText(tr("%1 holds no certificate; nothing was exported.").arg(ca));
        return;
    }
    const QSslCertificate &cert = certificates.constFirst();
    const QByteArray content = der ? cert.toDer() : cert.toPem();
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(content) != content.size()
            || !file.commit()) {
        m_exportResult->setText(tr("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    m_exportResult->setText(
            tr("Exported the CA to %1 (%2, SHA-256 %3).")
                    .arg(path,
                            der ? u"DER"_s : u"PEM"_s,
                            QString::fromLatin1(
                                    cert.digest(QCryptographicHash::Sha256).toHex(':').toUpper())));
}

QString CertificatesPage::trustCheckUrl() const
{
    if (!m_tls || !m_port)
        return {};
    QUrl url;
    url.setScheme(u"https"_s);
    url.setHost(splitHosts(m_hostnames->text()).value(0, u"localhost"_s));
    url.setPort(m_port);
    url.setPath(u"/"_s);
    return url.toString();
}

void CertificatesPage::openTrustCheck()
{
    const QString url = trustCheckUrl();
    if (url.isEmpty())
        return;
    if (QDesktopServices::openUrl(QUrl(url)))
        m_trustCheckUrl->setText(tr("Opened %1 in the browser; the page's title says "
                                    "trust-check: ok when all is well.")
                                         .arg(url));
    else
        m_trustCheckUrl->setText(tr("No browser could be started: open %1 yourself.").arg(url));
}

void CertificatesPage::updateState()
{
    const bool generating = m_generateWatcher->isRunning();
    m_checkButton->setEnabled(!m_configPath.isEmpty());
    m_generateButton->setEnabled(!generating);
    m_updateConfig->setEnabled(!m_configPath.isEmpty());
    const bool haveCa = !m_caPath->text().trimmed().isEmpty();
    m_exportPemButton->setEnabled(haveCa);
    m_exportDerButton->setEnabled(haveCa);
    const QString url = trustCheckUrl();
    m_trustCheckButton->setEnabled(!url.isEmpty());
    if (url.isEmpty()) {
        m_trustCheckUrl->setText(m_configPath.isEmpty()
                        ? tr("No config file.")
                        : tr("The trust-check page is served on https_proxy_port, which is "
                             "not set."));
    } else if (!m_trustCheckUrl->text().contains(url)) {
        m_trustCheckUrl->setText(url);
    }
}

} // namespace StudioProxy
