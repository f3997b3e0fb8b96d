#include "configpage.h"

#include "background.h"
#include "proxyconnection.h"

#include "config/configeditor.h"
#include "config/configfile.h"

#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QToolButton>
#include <QVBoxLayout>

using namespace Qt::StringLiterals;

namespace StudioProxy {

namespace {

struct LoadedConfig
{
    QString error;
    std::optional<ConfigFile> file;
    std::optional<RuntimeVariables> variables;
};

struct SaveOutcome
{
    bool ok = false;
    QString message;
};

bool isSslKey(const QString &name)
{
    return name.startsWith(u"ssl_"_s);
}

} // namespace

ConfigPage::ConfigPage(ProxyConnection *connection, QWidget *parent)
    : QWidget(parent)
    , m_connection(connection)
    , m_file(new QLabel)
    , m_summary(new QLabel)
    , m_result(new QLabel)
    , m_save(new QPushButton(tr("Save")))
    , m_revert(new QPushButton(tr("Revert")))
    , m_apply(new QPushButton(tr("Restart the proxy with these values")))
{
    m_save->setObjectName(u"saveButton"_s);
    m_revert->setObjectName(u"revertButton"_s);
    m_apply->setObjectName(u"applyButton"_s);
    m_summary->setObjectName(u"summaryLabel"_s);
    m_result->setObjectName(u"resultLabel"_s);
    m_file->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_result->setWordWrap(true);
    m_summary->setWordWrap(true);

    auto *proxyBox = new QGroupBox(tr("Proxy"));
    auto *proxyForm = new QFormLayout(proxyBox);
    auto *sslBox = new QGroupBox(tr("SSL"));
    auto *sslForm = new QFormLayout(sslBox);
    for (QFormLayout *form : { proxyForm, sslForm })
        form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions()) {
        Row row;
        row.edit = new QLineEdit;
        row.edit->setObjectName(definition.name);
        row.edit->setToolTip(definition.description);
        row.edit->setPlaceholderText(definition.defaultValue.isEmpty()
                        ? tr("unset")
                        : tr("default: %1").arg(definition.defaultValue));
        row.problem = new QLabel;
        row.problem->setObjectName(definition.name + u":problem"_s);
        row.problem->setStyleSheet(u"color: #b00020"_s);
        row.problem->setWordWrap(true);
        row.problem->hide();

        auto *field = new QVBoxLayout;
        auto *line = new QHBoxLayout;
        line->addWidget(row.edit);
        if (definition.kind == RuntimeVariables::Kind::Path) {
            auto *browse = new QToolButton;
            browse->setText(tr("Browse..."));
            QLineEdit *edit = row.edit;
            connect(browse, &QToolButton::clicked, this, [this, edit] {
                const QString chosen = QFileDialog::getOpenFileName(
                        this, tr("Choose a file"), QFileInfo(m_path).absolutePath());
                if (!chosen.isEmpty())
                    edit->setText(chosen);
            });
            line->addWidget(browse);
        }
        field->addLayout(line);
        field->addWidget(row.problem);
        auto *label = new QLabel(definition.name);
        label->setToolTip(definition.description);
        (isSslKey(definition.name) ? sslForm : proxyForm)->addRow(label, field);
        connect(row.edit, &QLineEdit::textChanged, this, &ConfigPage::validate);
        m_rows.insert(definition.name, row);
    }

    auto *forms = new QWidget;
    auto *formsLayout = new QVBoxLayout(forms);
    formsLayout->addWidget(proxyBox);
    formsLayout->addWidget(sslBox);
    formsLayout->addStretch();
    auto *scroll = new QScrollArea;
    scroll->setWidgetResizable(true);
    scroll->setWidget(forms);
    scroll->setFrameShape(QFrame::NoFrame);

    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_summary, 1);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_save);
    auto *applyRow = new QHBoxLayout;
    applyRow->addWidget(m_result, 1);
    applyRow->addWidget(m_apply);
    m_apply->hide();

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_file);
    layout->addWidget(scroll, 1);
    layout->addLayout(buttons);
    layout->addLayout(applyRow);

    connect(m_save, &QPushButton::clicked, this, &ConfigPage::save);
    connect(m_revert, &QPushButton::clicked, this, [this] { load(m_path); });
    connect(m_apply, &QPushButton::clicked, this, &ConfigPage::applyToProxy);
    connect(m_connection,
            &ProxyConnection::commandFinished,
            this,
            [this](const QString &command, bool ok, const QString &message) {
                if (command != u"set" || !m_apply->isVisible())
                    return;
                m_apply->setEnabled(true);
                if (ok)
                    m_apply->hide();
                m_result->setStyleSheet(ok ? u"color: #1b7f3b"_s : u"color: #b00020"_s);
                m_result->setText(ok ? tr("Applied: %1").arg(message)
                                     : tr("The proxy was not restarted: %1").arg(message));
            });
    validate();
}

void ConfigPage::load(const QString &path)
{
    m_path = path;
    m_loading = true;
    m_file->setText(tr("Config file: %1 (reading...)").arg(path));
    setEnabled(false);
    inBackground<LoadedConfig>(
            this,
            [path] {
                LoadedConfig loaded;
                Result<ConfigFile> file = ConfigFile::read(path);
                if (!file) {
                    loaded.error = file.error().message;
                    return loaded;
                }
                Result<RuntimeVariables> variables = RuntimeVariables::fromConfig(file.value());
                if (!variables) {
                    // The values are still shown, so the admin can fix the one at fault.
                    loaded.error = variables.error().message;
                } else {
                    loaded.variables = variables.value();
                }
                loaded.file = file.value();
                return loaded;
            },
            [this, path](const LoadedConfig &result) {
                if (path != m_path)
                    return; // another file was opened meanwhile
                setEnabled(true);
                m_file->setText(tr("Config file: %1").arg(path));
                if (!result.file) {
                    m_file->setText(
                            tr("Config file: %1 cannot be read: %2").arg(path, result.error));
                    m_loading = false;
                    validate();
                    return;
                }
                m_fileVariables = result.variables.value_or(RuntimeVariables());
                for (auto it = m_rows.begin(); it != m_rows.end(); ++it) {
                    const ConfigEntry *entry = result.file->find(it.key());
                    it->original = entry ? entry->value : QString();
                    it->edit->setText(it->original);
                }
                m_loading = false;
                validate();
                emit loaded();
            });
}

QList<QPair<QString, QString>> ConfigPage::changes() const
{
    QList<QPair<QString, QString>> changed;
    for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions()) {
        const Row &row = m_rows[definition.name];
        const QString text = row.edit->text().trimmed();
        if (text != row.original)
            changed.append({ definition.name, text });
    }
    return changed;
}

QStringList ConfigPage::problems() const
{
    QStringList found;
    for (const RuntimeVariables::Definition &definition : RuntimeVariables::definitions()) {
        const QLabel *problem = m_rows[definition.name].problem;
        if (!problem->isHidden())
            found << problem->text();
    }
    return found;
}

// Each value is checked the way SET GLOBAL checks it, on top of the file's other values;
// then the rules that span several (one port, SSL for HTTPS) on the whole.
void ConfigPage::validate()
{
    if (m_loading)
        return;
    RuntimeVariables typed = m_fileVariables;
    for (auto it = m_rows.begin(); it != m_rows.end(); ++it) {
        const QString text = it->edit->text().trimmed();
        RuntimeVariables single = m_fileVariables;
        // Empty removes the line: the variable is unset, or takes its default.
        const Result<void> valid = text.isEmpty() ? Result<void>() : single.set(it.key(), text);
        it->problem->setVisible(!valid);
        it->problem->setText(valid ? QString() : valid.error().message);
        if (valid)
            typed.set(it.key(), text);
    }
    const auto portOf = [this](const QString &key) {
        return m_rows[key].edit->text().trimmed().toUInt();
    };
    Row &http = m_rows[u"http_proxy_port"_s];
    if (portOf(u"https_proxy_port"_s) && portOf(u"http_proxy_port"_s) && http.problem->isHidden()) {
        http.problem->setText(tr("set only one of https_proxy_port and http_proxy_port; the "
                                 "other must be 0 or empty"));
        http.problem->show();
    }
    if (portOf(u"https_proxy_port"_s)) {
        for (const QString &key : { u"ssl_cert"_s, u"ssl_key"_s }) {
            Row &row = m_rows[key];
            if (row.edit->text().trimmed().isEmpty() && row.problem->isHidden()) {
                row.problem->setText(tr("https_proxy_port requires %1").arg(key));
                row.problem->show();
            }
        }
    }

    const QStringList wrong = problems();
    const qsizetype changed = changes().size();
    m_save->setEnabled(!m_path.isEmpty() && changed > 0 && wrong.isEmpty());
    m_revert->setEnabled(changed > 0);
    if (!wrong.isEmpty())
        m_summary->setText(tr("%n value(s) to correct before saving", nullptr, int(wrong.size())));
    else if (changed)
        m_summary->setText(tr("%n unsaved change(s)", nullptr, int(changed)));
    else
        m_summary->setText(tr("No changes"));
}

void ConfigPage::save()
{
    const QList<QPair<QString, QString>> changed = changes();
    if (changed.isEmpty() || !problems().isEmpty())
        return;
    const QString path = m_path;
    m_save->setEnabled(false);
    m_result->setText(tr("Saving..."));
    inBackground<SaveOutcome>(
            this,
            [path, changed] {
                SaveOutcome outcome;
                QList<ConfigEditor::Change> edits;
                for (const auto &[key, value] : changed)
                    edits.append({ key, value.isEmpty() ? std::nullopt : std::optional(value) });
                // All or nothing, with one backup: the file as it was before the save.
                const Result<QList<ConfigUpdate>> updates = ConfigEditor::updateAll(path, edits);
                if (!updates) {
                    outcome.message = updates.error().message;
                    return outcome;
                }
                QStringList lines;
                QStringList backups;
                for (const ConfigUpdate &update : updates.value()) {
                    lines << update.change;
                    if (!update.backup.isEmpty() && !backups.contains(update.backup))
                        backups << update.backup;
                }
                outcome.ok = true;
                outcome.message = backups.isEmpty()
                        ? tr("Nothing to change in %1: %2")
                                  .arg(QFileInfo(path).fileName(), lines.join(u"; "_s))
                        : tr("Saved %1 (previous version in %2): %3")
                                  .arg(QFileInfo(path).fileName(),
                                          backups.join(u", "_s),
                                          lines.join(u"; "_s));
                return outcome;
            },
            [this, changed](const SaveOutcome &outcome) {
                m_result->setStyleSheet(outcome.ok ? QString() : u"color: #b00020"_s);
                m_result->setText(outcome.message);
                if (outcome.ok) {
                    m_lastSaved = changed;
                    m_apply->setVisible(m_connection->mode() != ProxyConnection::Mode::None);
                    m_apply->setEnabled(true);
                    load(m_path);
                }
                validate();
                emit saved(outcome.ok, outcome.message);
            });
}

// The running proxy keeps its runtime variables until they are set and it restarts.
void ConfigPage::applyToProxy()
{
    m_apply->setEnabled(false);
    m_result->setText(tr("Restarting the proxy..."));
    QList<QPair<QString, QString>> values = m_lastSaved;
    // The port being switched off goes first: both ports set at once is refused.
    std::stable_sort(values.begin(), values.end(), [](const auto &a, const auto &b) {
        const auto off = [](const QPair<QString, QString> &entry) {
            return entry.first.endsWith(u"_proxy_port"_s) && entry.second.toUInt() == 0;
        };
        return off(a) && !off(b);
    });
    // Paths are resolved against the config file's folder, as the file itself would be.
    for (auto &[key, value] : values) {
        if (RuntimeVariables::definition(key)->kind == RuntimeVariables::Kind::Path
                && !value.isEmpty())
            value = QFileInfo(QFileInfo(m_path).absoluteDir(), value).absoluteFilePath();
    }
    m_connection->setVariables(values, true);
}

} // namespace StudioProxy
