package tmpl

import "errors"

// ErrPerlExpr is returned by [Parse] for a template holding a
// {= perl expression =} when Options.Perl gives no evaluator for it.
var ErrPerlExpr = errors.New("tmpl: {= perl expression =} without a Perl evaluator")
