#include "logpage.h"

#include "logfollower.h"
#include "logmodel.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QPushButton>
#include <QScrollBar>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace StudioProxy {

LogPage::LogPage(QWidget *parent)
    : QWidget(parent)
    , m_follower(new LogFollower(this))
    , m_model(new LogModel(this))
    , m_filter(new LogFilter(this))
    , m_file(new QLabel)
    , m_level(new QComboBox)
    , m_text(new QLineEdit)
    , m_followEnd(new QCheckBox(tr("Follow")))
    , m_view(new QListView)
    , m_copy(new QPushButton(tr("Copy")))
{
    m_level->setObjectName(u"levelFilter"_s);
    m_text->setObjectName(u"textFilter"_s);
    m_view->setObjectName(u"logView"_s);
    m_copy->setObjectName(u"copyButton"_s);
    m_file->setObjectName(u"logFileLabel"_s);
    m_file->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_file->setWordWrap(true);

    m_filter->setSourceModel(m_model);
    m_view->setModel(m_filter);
    m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_view->setUniformItemSizes(true);
    m_view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_view->setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);

    m_level->addItem(tr("All levels"), int(LogFilter::MinimumLevel::All));
    m_level->addItem(tr("Warnings and errors"), int(LogFilter::MinimumLevel::Warning));
    m_level->addItem(tr("Errors only"), int(LogFilter::MinimumLevel::Error));
    m_text->setPlaceholderText(tr("Filter: text to look for"));
    m_text->setClearButtonEnabled(true);
    m_followEnd->setChecked(true);
    m_followEnd->setToolTip(tr("Keep the newest line in view"));

    auto *copyAction = new QAction(tr("Copy"), m_view);
    copyAction->setShortcut(QKeySequence::Copy);
    copyAction->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(copyAction);
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    connect(copyAction, &QAction::triggered, this, &LogPage::copySelected);

    auto *controls = new QHBoxLayout;
    controls->addWidget(m_level);
    controls->addWidget(m_text, 1);
    controls->addWidget(m_followEnd);
    controls->addWidget(m_copy);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_file);
    layout->addLayout(controls);
    layout->addWidget(m_view, 1);

    connect(m_level, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setMinimumLevel(LogFilter::MinimumLevel(m_level->currentData().toInt()));
    });
    connect(m_text, &QLineEdit::textChanged, m_filter, &LogFilter::setText);
    connect(m_copy, &QPushButton::clicked, this, &LogPage::copySelected);
    connect(m_follower, &LogFollower::reset, this, [this](const QString &path) {
        m_model->clear();
        m_file->setText(path.isEmpty() ? tr("No log to follow") : tr("Following %1").arg(path));
        m_file->setStyleSheet(QString());
    });
    connect(m_follower, &LogFollower::problem, this, [this](const QString &message) {
        m_file->setText(message);
        m_file->setStyleSheet(u"color: #b00020"_s);
    });
    connect(m_follower, &LogFollower::linesAppended, this, [this](const QStringList &lines) {
        m_model->append(lines);
        m_file->setText(tr("Following %1").arg(m_path));
        m_file->setStyleSheet(QString());
        if (m_followEnd->isChecked())
            m_view->scrollToBottom();
    });
    m_file->setText(tr("No log to follow"));
}

void LogPage::follow(const QString &path)
{
    if (path == m_path)
        return;
    m_path = path;
    m_follower->follow(path);
}

void LogPage::copySelected()
{
    QModelIndexList selected = m_view->selectionModel()->selectedIndexes();
    std::sort(selected.begin(), selected.end(), [](const QModelIndex &a, const QModelIndex &b) {
        return a.row() < b.row();
    });
    QStringList lines;
    for (const QModelIndex &index : selected)
        lines << index.data(LogModel::LineRole).toString();
    if (!lines.isEmpty())
        QApplication::clipboard()->setText(lines.join(u'\n') + u'\n');
}

} // namespace StudioProxy
