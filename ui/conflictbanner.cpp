#include "conflictbanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>

using namespace Qt::StringLiterals;

namespace StudioProxy {

ConflictBanner::ConflictBanner(QWidget *parent)
    : QFrame(parent)
    , m_rows(new QVBoxLayout(this))
{
    setObjectName(u"conflictBanner"_s);
    setFrameShape(QFrame::StyledPanel);
    setStyleSheet(u"#conflictBanner { background: #fff4e5; border: 1px solid #e0a050; }"_s);
    m_rows->setContentsMargins(8, 4, 8, 4);
    m_rows->setSpacing(2);
    hide();
}

void ConflictBanner::setConflicts(const QList<Conflict> &conflicts)
{
    QList<Conflict> sorted = conflicts;
    std::stable_sort(sorted.begin(), sorted.end(), [](const Conflict &a, const Conflict &b) {
        return a.severity == Conflict::Severity::Error && b.severity != Conflict::Severity::Error;
    });
    bool same = sorted.size() == m_conflicts.size();
    for (qsizetype i = 0; same && i < sorted.size(); ++i) {
        same = sorted.at(i).message == m_conflicts.at(i).message
                && sorted.at(i).fix.label == m_conflicts.at(i).fix.label;
    }
    if (same)
        return; // rebuilding would take the focus from a button under the pointer
    m_conflicts = sorted;

    while (QLayoutItem *item = m_rows->takeAt(0)) {
        if (QLayout *row = item->layout()) {
            while (QLayoutItem *child = row->takeAt(0)) {
                delete child->widget();
                delete child;
            }
        }
        delete item->widget();
        delete item;
    }
    for (const Conflict &conflict : std::as_const(m_conflicts)) {
        auto *row = new QHBoxLayout;
        const bool error = conflict.severity == Conflict::Severity::Error;
        auto *text = new QLabel(
                u"<b style='color:%1'>%2</b> %3"_s.arg(error ? u"#b00020"_s : u"#8a5300"_s,
                        error ? tr("Conflict:") : tr("Warning:"),
                        conflict.message.toHtmlEscaped()));
        text->setWordWrap(true);
        text->setTextInteractionFlags(Qt::TextSelectableByMouse);
        row->addWidget(text, 1);
        if (conflict.fix.action != ConflictFix::Action::None) {
            auto *fix = new QPushButton(conflict.fix.label);
            fix->setObjectName(u"fix:"_s + Conflict::kindName(conflict.kind));
            connect(fix, &QPushButton::clicked, this, [this, conflict] {
                emit fixRequested(conflict);
            });
            row->addWidget(fix, 0, Qt::AlignTop);
        }
        m_rows->addLayout(row);
    }
    setVisible(!m_conflicts.isEmpty());
}

} // namespace StudioProxy
