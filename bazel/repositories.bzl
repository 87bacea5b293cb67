"""The external repositories Strata builds with, in one macro.

A consumer's WORKSPACE:

    local_repository(name = "strata", path = "path/to/strata")
    # or, with network: http_archive(name = "strata", urls = [...], ...)
    load("@strata//bazel:repositories.bzl", "strata_dependencies")
    strata_dependencies()

Every repository is local, so the build needs no network: Strata's
stand-ins in third_party/ (rules_cc, remote_coverage_tools), Debian's
Bazel rule packages (rules_java, platforms), and @system over /usr with a
cc_library per Debian -dev library (third_party/system.BUILD). A repository
the consumer defined already is left as it is.
"""

def _strata_stand_in_impl(ctx):
    # Found through a file of Strata's: the same code works in Strata's own
    # WORKSPACE and, as @strata, in a consumer's.
    third_party = ctx.path(Label("//third_party:system.BUILD")).dirname
    source = third_party.get_child(ctx.attr.directory)
    for child in source.readdir():
        ctx.symlink(child, child.basename)

_strata_stand_in = repository_rule(
    implementation = _strata_stand_in_impl,
    attrs = {"directory": attr.string(mandatory = True)},
    local = True,
    doc = "A repository made of one of Strata's third_party/ directories.",
)

def strata_dependencies():
    """Defines every repository Strata's BUILD files name."""
    existing = native.existing_rules()
    if "rules_cc" not in existing:
        _strata_stand_in(name = "rules_cc", directory = "rules_cc")
    if "remote_coverage_tools" not in existing:
        _strata_stand_in(
            name = "remote_coverage_tools",
            directory = "remote_coverage_tools",
        )
    if "rules_java" not in existing:
        native.local_repository(
            name = "rules_java",
            path = "/usr/share/bazel/rules/java",
        )
    if "platforms" not in existing:
        native.local_repository(
            name = "platforms",
            path = "/usr/share/bazel/tools/platforms",
        )
    if "system" not in existing:
        native.new_local_repository(
            name = "system",
            build_file = str(Label("//third_party:system.BUILD")),
            path = "/usr",
        )
