#pragma once
// The text form of the expression language, as typed on command lines:
//
//   pando-array eval "sin(x)**2 + cos(x)**2"
//   pando-frame --where "amount > 100 and flag" --assign "total = amount * qty"
//
// Grammar, lowest to highest precedence (Python-like):
//
//   statement  := [name '='] expr
//   expr       := or
//   or         := and (('or' | '||') and)*
//   and        := not (('and' | '&&') not)*
//   not        := ('not' | '!') not | compare
//   compare    := sum [('==' | '!=' | '<' | '<=' | '>' | '>=') sum]   (a < b < c is an error)
//   sum        := product (('+' | '-') product)*
//   product    := unary (('*' | '/' | '%') unary)*
//   unary      := ('-' | '+') unary | power
//   power      := postfix ['**' unary]          (right-associative: -2**2 is -4, 2**-1 is 0.5)
//   postfix    := primary ['.T']                 (transpose, on a variable only)
//   primary    := number | string | 'true' | 'false' | 'True' | 'False'
//               | name | name '(' [expr (',' expr)*] ')' | '(' expr ')'
//   number     := 12 | 1.5 | .5 | 1e-3 | 2.5E+4 | inf | nan
//   string     := '...' | "..."  with escapes \\ \' \" \n \t \r \0 \xHH \uHHHH
//   name       := [A-Za-z_][A-Za-z0-9_]* | `any text` (a backquote inside is written ``)
//
// A minus sign written directly before a number is part of the literal (-3 is the literal -3;
// -(3) is a negation), except before '**' (-2**2 is -(2**2)).
//
// Errors are pando::ParseError "source:1:COLUMN: message", COLUMN being the 1-based position
// (in characters) of the offending token. Nesting (parentheses, calls, unary operators, '**'
// chains) is limited to 100 levels and trees to Expr::max_depth: adversarial input gets an error,
// never a stack overflow. Parsing builds a tree and nothing else: no code is ever executed.

#include <pando/expr/ast.hpp>

#include <string>
#include <string_view>

namespace pando::expr {

// Nesting limit of the text grammar.
inline constexpr int max_nesting = 100;

struct Statement {
  std::string target;  // "" for a bare expression
  Expr value;
};

// `expr` or `name = expr`. `source` names the text in errors ("--where", "expression").
Statement parse_statement(std::string_view text, std::string_view source = "expression");
// An expression; an assignment is an error.
Expr parse_expression(std::string_view text, std::string_view source = "expression");

}  // namespace pando::expr
