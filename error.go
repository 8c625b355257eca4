// Package flexemp holds the domain words of the flexible-employment assessment:
// cities, extract kinds and their data contract, months and periods, uploads,
// rejects and the application errors every stage returns.
package flexemp

import (
	"errors"
	"fmt"
)

// Error codes, stable for machines; the message is for people.
const (
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ECONFLICT     = "conflict"
	ETOOLARGE     = "too_large"
	EUNSUPPORTED  = "unsupported"
	EINTERNAL     = "internal"
)

// Error is an application error: a machine code and a message a user may read
// (in Chinese). Internal details stay in Err and are logged, never shown.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an application error with the given code and user message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of an application error, EINTERNAL for any other
// error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user message of an application error, or a generic
// message for any other error so internals are never shown.
func ErrorMessage(err error) string {
	var e *Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	}
	return "内部错误，请联系系统管理员"
}
