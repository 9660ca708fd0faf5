package tmpl

import "errors"

// ErrPerlExpr is returned by [Parse] for a template holding a
// {= perl expression =}: GNU parallel evaluates these as Perl code, which
// multitask cannot do.
var ErrPerlExpr = errors.New("tmpl: {= perl expression =} is not supported")
