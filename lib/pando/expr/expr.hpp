#pragma once
// The expression language in one include: trees and builders, the text parser, the compiler
// and evaluator, and the column views they work on (docs/architecture.md §2, `expr`).

#include <pando/expr/ast.hpp>
#include <pando/expr/columns.hpp>
#include <pando/core/dtype.hpp>
#include <pando/core/timestamp.hpp>
#include <pando/expr/functions.hpp>
#include <pando/expr/parser.hpp>
#include <pando/expr/program.hpp>
