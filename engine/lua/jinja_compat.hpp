// Rewrites the Jinja-isms that Ansible users type out of habit into plain Lua,
// before Lua compiles an expression. Text inside string literals is never touched.
//
//   a != b                 ->  a ~= b
//   True / False / None    ->  true / false / nil   (also `none`)
//   x is defined           ->  (x ~= nil)            (a.b.c is defined tolerates a missing a or a.b)
//   x is not defined       ->  (x == nil)            (also `is undefined`)
//   x is [not] t(args)     ->  [not] __t.t(x, args)  (none, changed, failed, version, ...)
//   a | f(args) | g        ->  __f.g(__f.f(a, args))
//   x [not] in xs          ->  [not] __f.within(x, xs)
//   ['a', 'b']             ->  {'a', 'b'}            (a list literal; indexing stays indexing)
//   A if C else B          ->  (function() if C then return A else return B end end)()
//
// A filter binds to the postfix expression on its left (`a.b[1]:m() | f`), as in
// Jinja; `in` takes whole operands up to a comparison, `and`, `or` or `,`.
// A `|` that is not followed by a name stays Lua's bitwise or.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace upkeep {

// The expression cannot be rewritten (e.g. a filter with nothing on its left).
class JinjaSyntaxError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

std::string jinja_to_lua(std::string_view expr);

}  // namespace upkeep
