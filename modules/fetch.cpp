// fetch: copies a file from the host to the controller (Ansible's fetch action).
// dest is a controller path: without `flat` the file lands at
// dest/<inventory_hostname>/<src path>, with `flat` at dest (or dest/<basename>
// when dest ends with '/'). The plan carries the exact bytes, so --diff shows
// them; the controller write is an effect outside the host's connection, so the
// dry run records it as "would run" (Ansible skips fetch in check mode).
#include <filesystem>
#include <fstream>

#include "engine/connection/local_connection.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "engine/util/strings.hpp"
#include "modules/host_data.hpp"

namespace upkeep {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_controller(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in || fs::is_directory(path)) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string normpath(const std::string& p) {
    std::string out = fs::path(p).lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

// check() -> apply(): where on the controller the host's bytes go.
struct FetchPayload {
    std::string target = "";
    SharedText content = {};
};

class FetchModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "fetch",
            .summary = "Copy a file from the host to the controller",
            .doc =
                "Ansible's fetch. Without flat the file lands at dest/<inventory_hostname>/<src>;\n"
                "with flat at dest, or dest/<basename of src> when dest ends with '/'. A relative\n"
                "dest is taken from the playbook's directory. --check plans the write (diff included)\n"
                "and records it as would run.\n"
                "Example:\n"
                "  - fetch:\n"
                "      src: /etc/cloudstack/management/db.properties\n"
                "      dest: backups/",
            .args =
                {
                    {.name = "src", .type = ArgType::Path, .required = true, .doc = "the file on the host"},
                    {.name = "dest", .type = ArgType::Path, .required = true, .doc = "where it goes on the controller"},
                    {.name = "flat",
                     .type = ArgType::Bool,
                     .default_value = Value(false),
                     .doc = "no <host>/<src path> below dest"},
                    {.name = "fail_on_missing",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "a missing src fails the task"},
                    {.name = "validate_checksum",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "check the written file's sha1 against the host's"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string src = args.str("src"), dest = args.str("dest");
        Plan p;
        FileInfo info = ctx.conn.stat(src, true);
        if (info.is_dir()) {
            if (args.flag("fail_on_missing")) throw TaskError("remote file is a directory, fetch cannot work on directories");
            p.msg = "remote file is a directory, fetch cannot work on directories, not transferring, ignored";
            p.result["msg"] = Value(p.msg);
            return p;
        }
        std::optional<std::string> bytes = info.exists() ? ctx.conn.read_file(src) : std::nullopt;
        if (!bytes) {
            p.msg = "the remote file does not exist, not transferring, ignored";
            if (args.flag("fail_on_missing")) throw TaskError(p.msg);
            p.result["file"] = Value(src);
            p.result["msg"] = Value(p.msg);
            return p;
        }
        auto base = [&](const std::string& d) { return d[0] == '/' ? d : (ctx.playbook_dir.empty() ? "." : ctx.playbook_dir) + "/" + d; };
        std::string target;
        if (args.flag("flat")) {
            if (fs::is_directory(base(dest)) && !ends_with(dest, "/"))
                throw TaskError("dest is an existing directory, use a trailing slash if you want to fetch src into that directory");
            target = ends_with(dest, "/") ? dest + src.substr(src.find_last_of('/') + 1) : dest;
            target = base(target);
        } else {
            std::string host = ctx.vars.get("inventory_hostname").is_string() ? ctx.vars.get("inventory_hostname").as_string()
                                                                              : ctx.conn.host_name();
            target = base(dest) + "/" + host + "/" + src;
        }
        target = normpath(target);
        // Ansible's guard: a src with ".." must not lead out of dest.
        std::string root = normpath(base(dest));
        if (target != root && !starts_with(target, root == "/" ? root : root + "/"))
            throw TaskError("Detected directory traversal, expected to be contained in '" + dest + "' but got '" + target + "'");
        std::string remote_sum = digest_hex("sha1", *bytes);
        std::optional<std::string> local = read_controller(target);
        p.result["dest"] = Value(target);
        p.result["file"] = Value(src);
        p.result["remote_checksum"] = Value(remote_sum);
        if (local && digest_hex("sha1", *local) == remote_sum) {
            p.result["checksum"] = Value(remote_sum);
            p.result["md5sum"] = Value(digest_hex("md5", *local));
            p.msg = "controller copy " + target + " is up to date";
            return p;
        }
        FetchPayload payload{.target = target, .content = SharedText(std::move(*bytes))};
        p.changes.push_back({target, local ? "fetched (controller copy replaced)" : "fetched to the controller", local,
                             payload.content, false});
        p.msg = "fetch " + src + " to " + target;
        p.result["checksum"] = Value(remote_sum);
        p.result["md5sum"] = Value(digest_hex("md5", *payload.content));
        p.result["remote_md5sum"] = Value();
        p.set_payload(std::move(payload));
        return p;
    }

    Value apply(ModuleContext& ctx, const Args& args, const Plan& plan) const override {
        const auto& p = plan.payload<FetchPayload>();
        const std::string& target = p.target;
        if (!ctx.conn.allow_external_effect("write " + target + " on the controller")) return Value();
        LocalConnection controller("controller");
        std::string parent = fs::path(target).parent_path().string();
        if (!parent.empty()) controller.make_dirs(parent, std::nullopt);
        controller.write_shared(target, p.content, WriteOptions{});
        Value out;
        std::optional<std::string> written = read_controller(target);
        std::string sum = written ? digest_hex("sha1", *written) : "";
        out["checksum"] = Value(sum);
        if (args.flag("validate_checksum") && sum != plan.result.get("remote_checksum").as_string())
            throw TaskError("checksum mismatch", out);
        return out;
    }
};

}  // namespace

std::unique_ptr<Module> make_fetch_module() { return std::make_unique<FetchModule>(); }

}  // namespace upkeep
