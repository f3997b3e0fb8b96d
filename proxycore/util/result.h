#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace StudioProxy {

// What went wrong, for programs (code) and for the admin who reads it (message).
enum class ErrorCode {
    ConfigUnreadable,
    ConfigSyntax,
    InvalidValue,
    PortConflict,
    NoProxyPort,
    SslSettingMissing,
    TlsUnavailable,
    CertificateUnreadable,
    KeyUnreadable,
    KeyMismatch,
    PortInUse,
    PortNotPermitted,
    ListenFailed,
    LogUnwritable,
    ConfigUnwritable,
    ControlUnavailable,
    ControlRefused,
    ControlFailed,
};

struct Error
{
    ErrorCode code;
    QString message;
};

// Either a value or an Error. Synchronous calls that can fail return one of these.
template <typename T> class Result
{
public:
    Result(T value)
        : m_state(std::move(value))
    { }

    Result(Error error)
        : m_state(std::move(error))
    { }

    bool ok() const { return std::holds_alternative<T>(m_state); }

    explicit operator bool() const { return ok(); }

    const T &value() const & { return std::get<T>(m_state); }

    T &value() & { return std::get<T>(m_state); }

    T &&value() && { return std::get<T>(std::move(m_state)); }

    const T *operator->() const { return &value(); }

    T *operator->() { return &value(); }

    const Error &error() const { return std::get<Error>(m_state); }

private:
    std::variant<T, Error> m_state;
};

// A call that returns nothing on success.
template <> class Result<void>
{
public:
    Result() = default;

    Result(Error error)
        : m_failed(true)
        , m_error(std::move(error))
    { }

    bool ok() const { return !m_failed; }

    explicit operator bool() const { return ok(); }

    const Error &error() const { return m_error; }

private:
    bool m_failed = false;
    Error m_error { ErrorCode::ConfigUnreadable, {} };
};

} // namespace StudioProxy
