// authorized_key: SSH public keys in a user's authorized_keys file
// (ansible.posix.authorized_key: key options, comment, exclusive, path, manage_dir).
#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/host_path.hpp"
#include "engine/util/strings.hpp"
#include "modules/formats/account_db.hpp"
#include "modules/formats/authorized_keys.hpp"

namespace upkeep {

namespace {

// check() -> apply(): the key file's new bytes and whose it is.
struct AuthorizedKeyPayload {
    std::string keyfile = "";
    std::string uid = "", gid = "";                    // the user's, numeric
    std::optional<std::string> sshdir = std::nullopt;  // manage_dir: made the user's, 0700
    SharedText content = {};
};

class AuthorizedKeyModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s{
            .name = "authorized_key",
            .summary = "Add or remove SSH public keys in a user's authorized_keys file",
            .doc =
                "ansible.posix.authorized_key: key holds one or more public key lines; key_options and\n"
                "comment replace theirs; exclusive: true removes every other line. The file is\n"
                "~USER/.ssh/authorized_keys unless path is given; when it is rewritten, ~/.ssh (manage_dir)\n"
                "and the file are made the user's, 0700 and 0600, as Ansible does. Keys are written the\n"
                "way Ansible writes them (`options type blob comment`), so files stay identical.\n"
                "Not supported: a key given as an http(s) URL (fetch it with get_url first).\n"
                "Example:\n"
                "  - authorized_key:\n"
                "      user: deploy\n"
                "      key: \"{{ lookup('file', 'files/deploy.pub') }}\"\n"
                "      key_options: 'from=\"10.0.0.0/8\",no-agent-forwarding'",
            .args =
                {
                    {.name = "user",
                     .type = ArgType::String,
                     .required = true,
                     .doc = "the account whose keys these are"},
                    {.name = "key", .type = ArgType::String, .required = true, .doc = "public key line(s)"},
                    {.name = "path",
                     .type = ArgType::Path,
                     .doc = "the keys file (default ~USER/.ssh/authorized_keys)"},
                    {.name = "manage_dir",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "create the file's directory and make it the user's, 0700"},
                    {.name = "state",
                     .type = ArgType::String,
                     .default_value = Value("present"),
                     .choices = {"present", "absent"},
                     .doc = "absent removes the key(s)"},
                    {.name = "key_options",
                     .type = ArgType::String,
                     .doc = "options put before each key (from=\"...\",no-pty)"},
                    {.name = "exclusive",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "remove every other line of the file"},
                    {.name = "comment", .type = ArgType::String, .doc = "the comment written after each key"},
                    {.name = "validate_certs",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "accepted for Ansible compatibility (URLs are not fetched)"},
                    {.name = "follow",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "write through a symbolic link instead of replacing it"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string user = args.str("user");
        std::string key = args.str("key");
        if (starts_with(key, "http"))
            throw TaskError("key is a URL (" + key + "): upkeep does not fetch keys; download it with get_url or lookup('file') first");
        std::optional<PasswdEntry> pw = lookup_user(ctx.conn, user);
        std::string keyfile;
        if (args.has("path")) {
            keyfile = args.str("path");
        } else {
            if (!pw) throw TaskError("Failed to lookup user " + user + ": no such user on the host");
            keyfile = pw->home + "/.ssh/authorized_keys";
        }
        FileInfo info = ctx.conn.stat(keyfile, true);
        if (info.is_dir()) throw TaskError(keyfile + " is a directory");
        std::string existing = info.is_file() ? ctx.conn.read_file(keyfile).value_or("") : "";
        AuthorizedKeysRequest req;
        req.keys = key;
        req.present = args.str("state") == "present";
        req.key_options = args.opt_str("key_options");
        req.comment = args.opt_str("comment");
        req.exclusive = args.flag("exclusive");
        AuthorizedKeysOutcome out = authorized_keys_edit(existing, req);

        Plan plan;
        for (const char* a : {"user", "key", "state", "key_options", "comment", "exclusive", "manage_dir", "follow", "path"})
            plan.result[a] = args.get(a);
        plan.result["keyfile"] = Value(keyfile);
        if (!out.write) {
            plan.msg = req.present ? "key(s) already present" : "key(s) already absent";
            return plan;
        }
        if (!pw) throw TaskError("Failed to lookup user " + user + ": no such user on the host");
        AuthorizedKeyPayload payload{.keyfile = keyfile, .uid = std::to_string(pw->uid), .gid = std::to_string(pw->gid)};
        std::string sshdir = args.has("path") ? parent_path(keyfile) : pw->home + "/.ssh";
        if (args.flag("manage_dir")) {
            FileInfo d = ctx.conn.stat(sshdir, true);
            if (!d.exists()) plan.changes.push_back({sshdir, "directory created (0700, " + user + ")", {}, {}, false});
            else if ((d.mode & 07777) != 0700 || d.uid != pw->uid || d.gid != pw->gid)
                plan.changes.push_back({sshdir, "made " + user + "'s, 0700", {}, {}, false});
            payload.sshdir = sshdir;
        }
        payload.content = SharedText(std::move(out.content));
        plan.changes.push_back({keyfile, info.exists() ? "keys changed" : "file created", existing, payload.content, false});
        if (info.exists() && ((info.mode & 07777) != 0600 || info.uid != pw->uid || info.gid != pw->gid))
            plan.changes.push_back({keyfile, "made " + user + "'s, 0600", {}, {}, false});
        plan.set_payload(std::move(payload));
        plan.msg = req.present ? "key(s) added" : "key(s) removed";
        if (req.present && req.exclusive) plan.msg += " (exclusive)";
        return plan;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<AuthorizedKeyPayload>();
        const std::string& keyfile = p.keyfile;
        if (p.sshdir) {
            const std::string& d = *p.sshdir;
            if (!ctx.conn.stat(d, true).exists()) ctx.conn.make_dirs(d, 0700);
            ctx.conn.set_attributes(d, 0700, p.uid, p.gid);
        }
        std::string base = parent_path(keyfile);
        if (!ctx.conn.stat(base, true).exists()) ctx.conn.make_dirs(base, std::nullopt);
        WriteOptions o;
        o.mode = 0600;
        o.owner = p.uid;
        o.group = p.gid;
        o.follow = args.flag("follow");
        ctx.conn.write_shared(keyfile, p.content, o);
        Value out;
        out["keyfile"] = Value(keyfile);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_authorized_key_module() { return std::make_unique<AuthorizedKeyModule>(); }

}  // namespace upkeep
