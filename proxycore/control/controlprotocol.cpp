#include "control/controlprotocol.h"

#include <QJsonArray>

using namespace Qt::StringLiterals;

namespace StudioProxy::ControlProtocol {

QJsonObject errorResponse(const Error &error)
{
    return QJsonObject { { u"ok"_s, false },
        { u"error"_s,
                QJsonObject { { u"code"_s, int(error.code) }, { u"message"_s, error.message } } } };
}

QJsonObject okResponse(const QJsonValue &result)
{
    return QJsonObject { { u"ok"_s, true }, { u"result"_s, result } };
}

Error errorFrom(const QJsonObject &response)
{
    const QJsonObject error = response.value(u"error"_s).toObject();
    return Error { ErrorCode(error.value(u"code"_s).toInt(int(ErrorCode::ControlFailed))),
        error.value(u"message"_s).toString(u"the proxy sent no answer"_s) };
}

QJsonObject toJson(const StatementResult &result)
{
    QJsonArray rows;
    for (const QStringList &row : result.rows)
        rows.append(QJsonArray::fromStringList(row));
    return QJsonObject { { u"statement"_s, result.statement },
        { u"errorNumber"_s, result.errorNumber },
        { u"message"_s, result.message },
        { u"columns"_s, QJsonArray::fromStringList(result.columns) },
        { u"rows"_s, rows } };
}

StatementResult statementFrom(const QJsonObject &json)
{
    StatementResult result;
    result.statement = json.value(u"statement"_s).toString();
    result.errorNumber = json.value(u"errorNumber"_s).toInt();
    result.message = json.value(u"message"_s).toString();
    for (const QJsonValue &column : json.value(u"columns"_s).toArray())
        result.columns << column.toString();
    for (const QJsonValue &row : json.value(u"rows"_s).toArray()) {
        QStringList cells;
        for (const QJsonValue &cell : row.toArray())
            cells << cell.toString();
        result.rows.append(cells);
    }
    return result;
}

QJsonObject toJson(const ConfigUpdate &update)
{
    return QJsonObject {
        { u"file"_s, update.file }, { u"backup"_s, update.backup }, { u"change"_s, update.change }
    };
}

ConfigUpdate configUpdateFrom(const QJsonObject &json)
{
    return ConfigUpdate { json.value(u"file"_s).toString(),
        json.value(u"backup"_s).toString(),
        json.value(u"change"_s).toString() };
}

QJsonObject toJson(const SessionInfo &session)
{
    QJsonObject json { { u"id"_s, qint64(session.id) },
        { u"client"_s, session.clientAddress },
        { u"origin"_s, session.origin },
        { u"bytesToEngine"_s, session.bytesToEngine },
        { u"bytesToClient"_s, session.bytesToClient },
        { u"openedAt"_s, session.openedAt.toString(Qt::ISODateWithMs) },
        { u"durationMs"_s, session.durationMs } };
    if (session.engineConnectionId)
        json.insert(u"engineConnectionId"_s, qint64(*session.engineConnectionId));
    return json;
}

SessionInfo sessionFrom(const QJsonObject &json)
{
    SessionInfo session;
    session.id = quint64(json.value(u"id"_s).toInteger());
    session.clientAddress = json.value(u"client"_s).toString();
    session.origin = json.value(u"origin"_s).toString();
    if (json.contains(u"engineConnectionId"_s))
        session.engineConnectionId = quint32(json.value(u"engineConnectionId"_s).toInteger());
    session.bytesToEngine = json.value(u"bytesToEngine"_s).toInteger();
    session.bytesToClient = json.value(u"bytesToClient"_s).toInteger();
    session.openedAt =
            QDateTime::fromString(json.value(u"openedAt"_s).toString(), Qt::ISODateWithMs);
    session.durationMs = json.value(u"durationMs"_s).toInteger();
    return session;
}

} // namespace StudioProxy::ControlProtocol
