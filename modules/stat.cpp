// stat: facts about a path on the host (Ansible's stat), never changes anything.
// The result has Ansible's field names; times, inode and device numbers are left
// out (the connection does not carry them), as are mime type and attributes.
#include <openssl/evp.h>

#include "engine/module/file_edit.hpp"
#include "engine/module/module.hpp"
#include "engine/util/error.hpp"
#include "modules/host_data.hpp"

namespace upkeep {

namespace {

class StatModule : public Module {
public:
    const ModuleSpec& spec() const override {
        static const ModuleSpec s = {
            .name = "stat",
            .summary = "Retrieve facts about a file or directory",
            .doc =
                "Ansible's stat: register the result and test stat.exists, stat.isdir, stat.mode,\n"
                "stat.checksum... (no times, inode, mime type or attributes).\n"
                "Example:\n"
                "  - stat:\n"
                "      path: /etc/cloudstack/agent/agent.properties\n"
                "    register: agent_conf\n"
                "  - debug: msg=\"present\"\n"
                "    when: agent_conf.stat.exists",
            .args =
                {
                    {.name = "path",
                     .type = ArgType::Path,
                     .required = true,
                     .aliases = {"dest", "name"},
                     .doc = "the path to look at"},
                    {.name = "follow", .type = ArgType::Bool, .default_value = Value(false), .doc = "follow a symlink"},
                    {.name = "get_checksum",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .doc = "checksum of a regular file"},
                    {.name = "checksum_algorithm",
                     .type = ArgType::String,
                     .default_value = Value("sha1"),
                     .choices = {"md5", "sha1", "sha224", "sha256", "sha384", "sha512"},
                     .aliases = {"checksum", "checksum_algo"},
                     .doc = "hash for the checksum"},
                    {.name = "get_mime",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .aliases = {"mime", "mime_type", "mime-type"},
                     .doc = "accepted; no mime type is reported"},
                    {.name = "get_attributes",
                     .type = ArgType::Bool,
                     .default_value = Value(true),
                     .aliases = {"attr", "attributes"},
                     .doc = "accepted; no attributes are reported"},
                },
        };
        return s;
    }

    Plan check(ModuleContext& ctx, const Args& args) const override {
        std::string path = args.str("path");
        FileInfo info = ctx.conn.stat(path, args.flag("follow"));
        Value st(Map{});
        st["exists"] = Value(info.exists());
        if (info.exists()) {
            uint32_t m = info.mode;
            st["path"] = Value(path);
            st["mode"] = Value(format_mode(m & 07777));
            st["isdir"] = Value(info.is_dir());
            st["isreg"] = Value(info.is_file());
            st["islnk"] = Value(info.is_link());
            st["uid"] = Value(static_cast<int64_t>(info.uid));
            st["gid"] = Value(static_cast<int64_t>(info.gid));
            st["pw_name"] = Value(info.owner);
            st["gr_name"] = Value(info.group);
            st["size"] = Value(static_cast<int64_t>(info.size));
            const char* bits[] = {"xoth", "woth", "roth", "xgrp", "wgrp", "rgrp", "xusr", "wusr", "rusr"};
            for (int i = 0; i < 9; ++i) st[bits[i]] = Value((m >> i & 1) != 0);
            st["isuid"] = Value((m & 04000) != 0);
            st["isgid"] = Value((m & 02000) != 0);
            if (info.is_link()) st["lnk_target"] = Value(info.link_target);
            if (info.is_file() && args.flag("get_checksum")) {
                std::optional<std::string> bytes = ctx.conn.read_file(path);
                if (bytes) st["checksum"] = Value(digest_hex(args.str("checksum_algorithm"), *bytes));
            }
        }
        Plan p;
        p.result["stat"] = st;
        p.msg = info.exists() ? "" : path + " does not exist";
        return p;
    }

    Value apply(ModuleContext&, const Args&, const Plan&) const override { return Value(); }
};

}  // namespace

std::unique_ptr<Module> make_stat_module() { return std::make_unique<StatModule>(); }

}  // namespace upkeep
