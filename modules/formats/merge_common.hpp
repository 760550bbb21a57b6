// Shared vocabulary of the config_merge formats: a merge takes the operator's
// customised file (ours), the newly packaged one (theirs: .rpmnew, .dpkg-dist)
// and optionally the pristine old default (base), and produces theirs with the
// operator's customisations carried over. The result always keeps THEIR layout;
// only the spans that carry an operator's change are spliced in.
//
// Three-way (base given), per key / element / attribute / line hunk:
//   ours == theirs          -> that value
//   ours == base            -> theirs (the package changed it, or nobody did)
//   theirs == base          -> ours (the operator changed, added or removed it)
//   otherwise               -> a conflict
// Two-way (no base): what only ours has is carried over (the operator added it);
// what only theirs has is kept (the package added it); a value both have but
// with different contents is a conflict, since nobody can tell who changed it.
// A conflict is resolved by `prefer` (ours|theirs); without it the task fails.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace upkeep::merge {

enum class Prefer { None, Ours, Theirs };

struct Conflict {
    std::string where;  // "key 'db.cloud.host'", "/beans/bean[@id='x']/@class", "lines 12-14"
    std::optional<std::string> ours, theirs, base;  // nullopt: absent on that side
    bool secret = false;                            // never print the values
};

struct MergeResult {
    std::string text;
    std::vector<Conflict> conflicts;  // resolved by prefer when it is set
    std::vector<std::string> carried; // short notes on what was carried over from ours
};

struct MergeInput {
    std::optional<std::string> base;
    std::string ours, theirs;
    std::string filename;  // the live file, for error marks
    Prefer prefer = Prefer::None;
};

// Which of the three-way/two-way cases applies to one value.
enum class Pick { Theirs, Ours, Conflict };
Pick pick(const std::optional<std::string>& base, bool have_base, const std::optional<std::string>& ours,
          const std::optional<std::string>& theirs);
// Resolves a conflict by `prefer`; Pick::Conflict when it is None.
Pick resolve(Pick p, Prefer prefer);

// Secrets: keys or attribute names containing "password" or "secret", and
// ENC(...) values (jasypt-encrypted, as CloudStack's db.properties has them).
bool is_secret(const std::string& name, const std::optional<std::string>& value);
// True if either text has a line that looks like it holds a secret (a key with
// password/secret in its name and a value, or an ENC(...) value): the diff's
// context lines could show it, so the whole diff is masked.
bool diff_touches_secret(const std::string& before, const std::string& after);

// One line per conflict, values masked when secret: key 'x': ours 'a', theirs 'b', base 'c'.
std::string describe(const Conflict& c);

MergeResult merge_properties(const MergeInput& in);
MergeResult merge_xml(const MergeInput& in);
MergeResult merge_lines(const MergeInput& in);

}  // namespace upkeep::merge
