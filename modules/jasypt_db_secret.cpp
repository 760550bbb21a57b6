// jasypt_db_secret: keeps a password column of a CloudStack database row stored
// jasypt-encrypted with the management server key (the "(VMware only)" step of
// the 4.3 upgrade: the vCenter password in cluster_details and vmware_data_center).
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/db/mariadb_client.hpp"
#include "modules/formats/jasypt.hpp"

namespace upkeep {
namespace {

// What a row holds today, relative to the wanted plaintext and key.
enum class Held {
    Encrypted,      // decrypts with the key to the plaintext: nothing to do
    Plain,          // the plaintext itself: encrypt it
    OtherPassword,  // decrypts with the key to something else: re-encrypt (password rotated)
    Unknown,        // neither: another key, or another plain password; refuse unless force
    Null,           // SQL NULL: set it
};

struct RowState {
    std::string key;  // the row's key_column value, for messages
    Held held = Held::Unknown;
};

const char* describe(Held h) {
    switch (h) {
        case Held::Encrypted: return "already encrypted";
        case Held::Plain: return "plain text";
        case Held::OtherPassword: return "another password encrypted with this key";
        case Held::Unknown: return "neither the plaintext nor decryptable with this key";
        case Held::Null: return "NULL";
    }
    return "";
}

struct Target {
    std::string table, column, key_column;
    std::string where_sql;  // "`name` = 'password' AND `cluster_id` = 1"
    std::string where_text;  // the same for messages: "name=password, cluster_id=1"
};

Target target_of(db::Session& s, const Args& args) {
    Target t;
    t.table = args.str("table");
    t.column = args.str("column");
    t.key_column = args.str("key_column", "id");
    std::vector<std::string> sql, text;
    Map where;
    if (args.has("where")) where = args.get("where").as_map();
    if (args.has("id")) where[t.key_column] = args.get("id");
    for (const auto& [k, v] : where) {
        sql.push_back(db::identifier(k) + (v.is_null() ? " IS NULL" : " = " + s.literal(v)));
        text.push_back(k + "=" + (v.secret() ? k_masked : v.to_string()));
    }
    // An empty `where: {}` selects every row (a table with one vCenter per row).
    t.where_sql = sql.empty() ? "1 = 1" : join(sql, " AND ");
    t.where_text = text.empty() ? "every row" : join(text, ", ");
    return t;
}

// The short name for messages: "cluster_details.value".
std::string label(const Target& t) {
    std::string table = t.table;
    size_t dot = table.rfind('.');
    if (dot != std::string::npos) table = table.substr(dot + 1);
    return table + "." + t.column;
}

// The management server key: `key`, or the first line of `key_file` read from
// the host (CloudStack reads that file with BufferedReader.readLine()).
std::string management_key(ModuleContext& ctx, const Args& args) {
    std::string key;
    if (args.has("key")) {
        key = args.str("key");
    } else {
        std::string path = args.str("key_file");
        auto content = ctx.conn.read_file(path);
        if (!content) throw TaskError("jasypt_db_secret: key_file " + path + " does not exist on " + ctx.conn.host_name());
        key = content->substr(0, content->find('\n'));
        if (!key.empty() && key.back() == '\r') key.pop_back();
        ctx.add_secret(key);
        if (key.empty()) throw TaskError("jasypt_db_secret: key_file " + path + " is empty (its first line is the key)");
    }
    try {
        jasypt::validate_password(key);
    } catch (const jasypt::JasyptError& e) {
        throw TaskError(std::string("jasypt_db_secret: ") + e.what());
    }
    return key;
}

std::vector<RowState> inspect(db::Session& s, const Target& t, const std::string& key, const std::string& plaintext,
                              bool lock) {
    std::string sql = "SELECT " + db::identifier(t.key_column) + ", " + db::identifier(t.column) + " FROM " +
                      db::identifier(t.table) + " WHERE " + t.where_sql + " ORDER BY 1" + (lock ? " FOR UPDATE" : "");
    auto r = s.execute(sql);
    std::vector<RowState> out;
    for (const auto& row : r.rows) {
        RowState st;
        st.key = row[0].value_or("NULL");
        if (!row[1]) {
            st.held = Held::Null;
        } else if (auto dec = jasypt::try_decrypt(*row[1], key)) {
            st.held = *dec == plaintext ? Held::Encrypted : Held::OtherPassword;
        } else if (*row[1] == plaintext) {
            st.held = Held::Plain;
        } else {
            st.held = Held::Unknown;
        }
        out.push_back(st);
    }
    return out;
}

// The rows to write, after refusing an Unknown row unless `force`.
std::vector<RowState> to_write(const std::vector<RowState>& rows, const Target& t, bool force) {
    std::vector<RowState> out;
    for (const auto& r : rows) {
        if (r.held == Held::Encrypted) continue;
        if (r.held == Held::Unknown && !force)
            throw TaskError("jasypt_db_secret: " + label(t) + " (" + t.key_column + " " + r.key +
                            ") holds neither the given plaintext nor a value the key decrypts: it is encrypted "
                            "with another key, or it is a different plain password. Check key/key_file and "
                            "plaintext; set force: true to overwrite it anyway");
        out.push_back(r);
    }
    return out;
}

// What `upkeep doc jasypt_db_secret` shows.
const char* const k_doc =
    "The CloudStack 4.3 upgrade step \"(VMware only)\": encrypt the vCenter password with the\n"
    "management server key (jasypt PBEWithMD5AndDES, as JasyptPBEStringEncryptionCLI does) and\n"
    "store it in cloud.cluster_details (value where name='password') and\n"
    "cloud.vmware_data_center (password) in place of the plain text.\n"
    "Each selected row (by `where`, or by `id`) is read and judged:\n"
    "  decrypts with the key to `plaintext` -> ok, already encrypted (jasypt salts are random,\n"
    "    so comparing ciphertexts would never converge: the value is decrypted instead);\n"
    "  equals `plaintext` (still plain), is NULL, or decrypts to another password (rotated)\n"
    "    -> changed: the row is written with a fresh random salt;\n"
    "  anything else (encrypted with another key, or another plain password) -> the task FAILS\n"
    "    and names the row, since overwriting could destroy a credential nobody meant to touch;\n"
    "    force: true overwrites it.\n"
    "No matching row fails too, unless allow_no_match: true. Rows are written with a\n"
    "compare-and-set UPDATE inside a transaction (SELECT ... FOR UPDATE, then COMMIT).\n"
    "The plaintext, the key and the ciphertext never appear in messages, diffs or results.\n"
    "Runs on the CONTROLLER: the database connection goes from the machine running upkeep to\n"
    "login_host:login_port (or login_unix_socket); key_file is read from the inventory host.\n"
    "Example (seed 002, \"(VMware only)\"):\n"
    "  - name: vCenter password encrypted in cluster_details\n"
    "    jasypt_db_secret:\n"
    "      login_host: 127.0.0.1\n"
    "      login_user: cloud\n"
    "      login_password: \"{{ db_password }}\"\n"
    "      key_file: /etc/cloudstack/management/key\n"
    "      table: cloud.cluster_details\n"
    "      column: value\n"
    "      where: {name: password, cluster_id: 1}\n"
    "      plaintext: \"{{ vcenter_password }}\"\n"
    "  - name: vCenter password encrypted in vmware_data_center\n"
    "    jasypt_db_secret:\n"
    "      login_host: 127.0.0.1\n"
    "      login_user: cloud\n"
    "      login_password: \"{{ db_password }}\"\n"
    "      key_file: /etc/cloudstack/management/key\n"
    "      table: cloud.vmware_data_center\n"
    "      column: password\n"
    "      id: 1\n"
    "      plaintext: \"{{ vcenter_password }}\"";

class JasyptDbSecretModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = [] {
            ModuleSpec m{
                .name = "jasypt_db_secret",
                .summary = "Store a password jasypt-encrypted (CloudStack's key) in a database column, idempotently",
                .doc = k_doc,
                .args =
                    {
                        {.name = "table",
                         .type = ArgType::String,
                         .required = true,
                         .doc = "the table, as schema.table or with login_db"},
                        {.name = "column",
                         .type = ArgType::String,
                         .required = true,
                         .doc = "the column holding the password"},
                        {.name = "where",
                         .type = ArgType::Map,
                         .doc = "column -> value conditions selecting the rows (ANDed; {} selects every row)"},
                        {.name = "id", .type = ArgType::Any, .doc = "select the row whose key_column equals this"},
                        {.name = "key_column",
                         .type = ArgType::String,
                         .default_value = Value("id"),
                         .doc = "the row's primary key, used by id and in messages"},
                        {.name = "plaintext",
                         .type = ArgType::String,
                         .required = true,
                         .secret = true,
                         .doc = "the password to store encrypted"},
                        {.name = "key",
                         .type = ArgType::String,
                         .secret = true,
                         .doc = "the management server key (content of /etc/cloudstack/management/key)"},
                        {.name = "key_file",
                         .type = ArgType::Path,
                         .doc = "read the key from this file on the host (its first line)"},
                        {.name = "force",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "overwrite values that are neither the plaintext nor decryptable with the key"},
                        {.name = "allow_no_match",
                         .type = ArgType::Bool,
                         .default_value = Value(false),
                         .doc = "no matching row is fine (ok) instead of a failure"},
                    },
                .mutually_exclusive = {{"key", "key_file"}, {"where", "id"}},
                .required_one_of = {{"key", "key_file"}, {"where", "id"}},
            };
            for (auto& a : db::login_arg_specs()) m.args.push_back(a);
            return m;
        }();
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string key = management_key(ctx, args);
        std::string plaintext = args.str("plaintext");
        db::Login login = db::login_from(args);
        db::Session s(login);
        Target t = target_of(s, args);
        auto rows = inspect(s, t, key, plaintext, false);
        Plan plan;
        if (rows.empty()) {
            std::string what = "no row of " + t.table + " matches " + t.where_text;
            if (!args.flag("allow_no_match")) throw TaskError("jasypt_db_secret: " + what + " on " + db::describe(login));
            plan.msg = what;
        }
        auto writes = to_write(rows, t, args.flag("force"));
        List states;
        for (const auto& r : rows) {
            Value v;
            v[t.key_column] = Value(r.key);
            v["state"] = Value(describe(r.held));
            states.push_back(v);
        }
        for (const auto& r : writes) {
            std::string verb = r.held == Held::Plain ? "encrypt" : "re-encrypt";
            if (r.held == Held::Null) verb = "set encrypted";
            plan.changes.push_back({label(t) + " (" + t.key_column + " " + r.key + ")",
                                    verb + " (now " + describe(r.held) + ")", std::string(k_masked),
                                    std::string(k_masked), true});
        }
        plan.result["rows"] = Value(states);
        if (!rows.empty()) {
            size_t ok = rows.size() - writes.size();
            plan.msg = writes.empty() ? label(t) + ": already encrypted (" + std::to_string(ok) + " row" +
                                            (ok == 1 ? "" : "s") + ")"
                                      : label(t) + ": " + std::to_string(writes.size()) + " of " +
                                            std::to_string(rows.size()) + " rows to encrypt";
        }
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& /*plan*/) const override {
        db::Login login = db::login_from(args);
        if (!ctx.conn.allow_external_effect("UPDATE " + args.str("table") + "." + args.str("column") + " on " +
                                            db::describe(login) + " (encrypted password)"))
            return Value();
        std::string key = management_key(ctx, args);
        std::string plaintext = args.str("plaintext");
        db::Session s(login);
        Target t = target_of(s, args);
        s.execute("START TRANSACTION");
        int64_t written = 0;
        try {
            // Judge again under row locks: the rows may have changed since check().
            auto writes = to_write(inspect(s, t, key, plaintext, true), t, args.flag("force"));
            for (const auto& r : writes) {
                std::string sql = "UPDATE " + db::identifier(t.table) + " SET " + db::identifier(t.column) + " = " +
                                  s.quote(jasypt::encrypt(plaintext, key)) + " WHERE " + db::identifier(t.key_column) +
                                  " = " + s.quote(r.key) + " AND " + t.where_sql;
                written += static_cast<int64_t>(s.execute(sql).affected);
            }
        } catch (...) {
            s.execute("ROLLBACK");
            throw;
        }
        s.execute("COMMIT");
        Value out;
        out["rows_written"] = Value(written);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_jasypt_db_secret_module() { return std::make_unique<JasyptDbSecretModule>(); }

}  // namespace upkeep
