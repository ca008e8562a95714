package filter

import "fmt"

// Error is a bad expression: what is wrong and where.
type Error struct {
	Expr string
	// Col is the 1-based column (byte) of the problem.
	Col int
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%q: %s at column %d", e.Expr, e.Msg, e.Col)
}

// errAt makes an error at a 0-based offset; Compile fills in Expr.
func errAt(off int, format string, a ...any) *Error {
	return &Error{Col: off + 1, Msg: fmt.Sprintf(format, a...)}
}
