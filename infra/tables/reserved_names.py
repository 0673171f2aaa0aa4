"""Names an extra secret may not take: reserved by GitHub or Vercel, set by their runners and runtimes, or read by a
program when it starts in a way that changes what it runs. One row per name or prefix: who reads it, what it would
do, and where that is written.

An extra secret becomes a GitHub environment secret and a sensitive Vercel variable (routes.py EXTRA_ROUTE). A Vercel
variable is in the environment of every build and function of its targets, so a name a runtime reads there changes
how the app is built and run; a GitHub secret reaches a process where a workflow maps it into `env:`, as a rule under
its own name (the LLM keys, for the jobs that call the provider). So every row applies to every extra secret.
"""

from __future__ import annotations

from dataclasses import dataclass

GITHUB_NAMING = "https://docs.github.com/en/actions/security-for-github-actions/security-guides/about-secrets"
GITHUB_VARIABLES = "https://docs.github.com/en/actions/reference/variables-reference#default-environment-variables"
GITHUB_DEBUG = "https://docs.github.com/en/actions/how-tos/monitor-workflows/enable-debug-logging"
VERCEL_RESERVED = "https://vercel.com/docs/environment-variables/reserved-environment-variables"
VERCEL_SYSTEM = "https://vercel.com/docs/environment-variables/system-environment-variables"
VERCEL_FRAMEWORK = "https://vercel.com/docs/environment-variables/framework-environment-variables"
AWS_LAMBDA = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime"
NODE = "https://nodejs.org/api/cli.html#environment-variables"
NPM = "https://docs.npmjs.com/cli/using-npm/config#environment-variables"
YARN = "https://yarnpkg.com/configuration/yarnrc"
PYTHON = "https://docs.python.org/3/using/cmdline.html#environment-variables"
LD_SO = "https://man7.org/linux/man-pages/man8/ld.so.8.html#ENVIRONMENT"
BASH = "https://www.gnu.org/software/bash/manual/html_node/Bash-Variables.html"
POSIX_SH = "https://pubs.opengroup.org/onlinepubs/9799919799/utilities/sh.html#tag_20_110_08"
GIT = "https://git-scm.com/docs/git#_environment_variables"
CURL = "https://curl.se/docs/manpage.html#ENVIRONMENT"
OPENSSL = "https://docs.openssl.org/master/man7/openssl-env/"
JAVA = "https://docs.oracle.com/en/java/javase/21/troubleshoot/environment-variables-and-system-properties.html"
RUBY = "https://docs.ruby-lang.org/en/master/ruby/options_md.html#label-Environment"
PERL = "https://perldoc.perl.org/perlrun#ENVIRONMENT"
PIP = "https://pip.pypa.io/en/stable/topics/configuration/#environment-variables"
UV = "https://docs.astral.sh/uv/reference/environment/"
DYLD = "https://developer.apple.com/library/archive/documentation/System/Conceptual/ManPages_iPhoneOS/man1/dyld.1.html"
GLIBC_UNSECURE = "https://sourceware.org/git/?p=glibc.git;a=blob;f=sysdeps/generic/unsecvars.h"
REQUESTS = "https://requests.readthedocs.io/en/latest/user/advanced/#ssl-cert-verification"
LIBPQ = "https://www.postgresql.org/docs/current/libpq-envars.html"
VERCEL_NPM = "https://vercel.com/docs/deployments/build-features"
OPENAI_SDK = (
    "https://github.com/openai/openai-python/blob/02cf7cdbdb19f5c782d5cee65db6b45d73b9ce0d/src/openai/_client.py"
)
ANTHROPIC_SDK = "https://github.com/anthropics/anthropic-sdk-python/blob/00dcf921fb0cdeacb827e7b17e9a41e39b48f61b/src/anthropic/_client.py"
VUE_CLI = "https://cli.vuejs.org/guide/mode-and-env.html#using-env-variables-in-client-side-code"
EXPO = "https://docs.expo.dev/guides/environment-variables/"
GLIBC_TUNABLES = "https://www.gnu.org/software/libc/manual/html_node/Tunables.html"
RESOLV_CONF = "https://man7.org/linux/man-pages/man5/resolv.conf.5.html"
HOSTNAME_7 = "https://man7.org/linux/man-pages/man7/hostname.7.html"
LIBPQ_VARIABLES = (
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGDATABASE",
    "PGUSER",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGREQUIREAUTH",
    "PGCHANNELBINDING",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGAPPNAME",
    "PGREQUIRESSL",
    "PGREQUIREPEER",
    "PGMINPROTOCOLVERSION",
    "PGMAXPROTOCOLVERSION",
    "PGKRBSRVNAME",
    "PGCONNECT_TIMEOUT",
    "PGCLIENTENCODING",
    "PGTARGETSESSIONATTRS",
    "PGLOADBALANCEHOSTS",
    "PGDATESTYLE",
    "PGTZ",
    "PGGEQO",
    "PGSYSCONFDIR",
    "PGLOCALEDIR",
)
"""libpq's environment variables (its docs, "Environment Variables"), besides the PGSSL* and PGGSS* families: the
connection defaults every libpq client (psql, psycopg, the migrations) takes where a URL leaves a setting out, and
the files it reads. Listed one by one: a PG prefix would also take PGP_* keys."""


@dataclass(frozen=True)
class Reserved:
    name: str
    """The whole name, or with `prefix` the start of every name it covers (compared in upper case, as GitHub does)."""
    prefix: bool
    source: str
    does: str
    """Who reads or owns the name and what it would do: the refusal's reason."""

    def covers(self, name: str) -> bool:
        upper = name.upper()
        return upper.startswith(self.name) if self.prefix else upper == self.name


RESERVED: tuple[Reserved, ...] = (
    # GitHub refuses the name, or sets it on every runner (GITHUB_* and RUNNER_* "cannot be overwritten").
    Reserved("GITHUB_", True, GITHUB_NAMING, "GitHub refuses secret names starting with GITHUB_"),
    Reserved("RUNNER_", True, GITHUB_VARIABLES, "the Actions runner sets RUNNER_* (RUNNER_TEMP, RUNNER_DEBUG, ...)"),
    Reserved("ACTIONS_", True, GITHUB_DEBUG, "the runner reads ACTIONS_STEP_DEBUG, ACTIONS_RUNNER_DEBUG (debug logs)"),
    Reserved("CI", False, GITHUB_VARIABLES, "GitHub's runners set CI=true, and Vercel's builds CI=1"),
    # Vercel's system variables, and what its function runtimes (AWS Lambda) reserve.
    Reserved("VERCEL", False, VERCEL_SYSTEM, "Vercel sets VERCEL=1 in every build and function"),
    Reserved("VERCEL_", True, VERCEL_SYSTEM, "Vercel's system variables (VERCEL_ENV, VERCEL_URL, VERCEL_OIDC_TOKEN)"),
    Reserved("NOW_", True, VERCEL_RESERVED, "Vercel's former name; Vercel reserves NOW_REGION"),
    Reserved("AWS_SECRET_KEY", False, VERCEL_RESERVED, "Vercel's function runtimes reserve it"),
    Reserved("AWS_EXECUTION_ENV", False, VERCEL_RESERVED, "Vercel's function runtimes reserve it"),
    Reserved("AWS_LAMBDA_", True, AWS_LAMBDA, "Vercel's function runtimes (AWS Lambda) set AWS_LAMBDA_*"),
    Reserved("LAMBDA_TASK_ROOT", False, VERCEL_RESERVED, "Vercel's function runtimes reserve it"),
    Reserved("LAMBDA_RUNTIME_DIR", False, VERCEL_RESERVED, "Vercel's function runtimes reserve it"),
    Reserved("TZ", False, VERCEL_RESERVED, "Vercel's function runtimes reserve it"),
    # Prefixes a framework inlines into the code it sends to browsers at build time: a secret so named is published.
    Reserved("NEXT_PUBLIC_", True, VERCEL_FRAMEWORK, "Next.js sends NEXT_PUBLIC_* to every browser"),
    Reserved("PUBLIC_", True, VERCEL_FRAMEWORK, "SvelteKit and Astro send PUBLIC_* to every browser"),
    Reserved("VITE_", True, VERCEL_FRAMEWORK, "Vite sends VITE_* to every browser"),
    Reserved("REACT_APP_", True, VERCEL_FRAMEWORK, "Create React App sends REACT_APP_* to every browser"),
    Reserved("GATSBY_", True, VERCEL_FRAMEWORK, "Gatsby sends GATSBY_* to every browser"),
    Reserved("NUXT_PUBLIC_", True, VERCEL_FRAMEWORK, "Nuxt sends NUXT_PUBLIC_* to every browser"),
    # Read when a program starts: what it runs, loads, trusts or connects through changes.
    Reserved("NODE_", True, NODE, "Node.js reads NODE_* (NODE_OPTIONS preloads code, NODE_TLS_* ends TLS checks)"),
    Reserved("NPM_CONFIG_", True, NPM, "npm takes NPM_CONFIG_* as its settings (the registry it installs from)"),
    Reserved("YARN_", True, YARN, "Yarn takes YARN_* as its settings (the registry it installs from)"),
    Reserved("PYTHON", True, PYTHON, "Python reads PYTHON* (PYTHONPATH, PYTHONSTARTUP run other code)"),
    Reserved("LD_", True, LD_SO, "the dynamic loader reads LD_PRELOAD, LD_LIBRARY_PATH (a library in every program)"),
    Reserved("GCONV_PATH", False, GLIBC_UNSECURE, "glibc loads character-set converters, which are code, from there"),
    Reserved("DYLD_", True, DYLD, "macOS's loader reads DYLD_INSERT_LIBRARIES (a library in every program)"),
    Reserved("PIP_", True, PIP, "pip takes PIP_* as its options (PIP_INDEX_URL: the index it installs from)"),
    Reserved("UV_", True, UV, "uv takes UV_* as its settings (UV_INDEX_URL: the index it installs from)"),
    Reserved("BASH_ENV", False, BASH, "bash runs the file it names before every script (each workflow `run:` step)"),
    Reserved("ENV", False, POSIX_SH, "sh runs the file it names when an interactive shell starts"),
    Reserved("SHELLOPTS", False, BASH, "bash turns on the options it lists (xtrace prints every command)"),
    Reserved("BASHOPTS", False, BASH, "bash turns on the options it lists"),
    Reserved("PS4", False, BASH, "bash expands it before each traced command, running what it substitutes"),
    Reserved("PATH", False, POSIX_SH, "every program is looked up there"),
    Reserved("HOME", False, POSIX_SH, "programs read their own settings there (.npmrc, .gitconfig, .netrc)"),
    Reserved("GIT_", True, GIT, "git reads GIT_* (GIT_SSH_COMMAND, GIT_CONFIG_* run other programs)"),
    Reserved("HTTP_PROXY", False, CURL, "HTTP clients send every request, tokens included, through it"),
    Reserved("HTTPS_PROXY", False, CURL, "HTTP clients send every request, tokens included, through it"),
    Reserved("ALL_PROXY", False, CURL, "HTTP clients send every request, tokens included, through it"),
    Reserved("NO_PROXY", False, CURL, "HTTP clients read which hosts skip the proxy from it"),
    Reserved("SSL_CERT_FILE", False, OPENSSL, "OpenSSL trusts the certificates it names"),
    Reserved("SSL_CERT_DIR", False, OPENSSL, "OpenSSL trusts the certificates it names"),
    Reserved("OPENSSL_CONF", False, OPENSSL, "OpenSSL loads that configuration, which can load other code"),
    Reserved("CURL_CA_BUNDLE", False, CURL, "curl trusts the certificates it names"),
    Reserved("REQUESTS_CA_BUNDLE", False, REQUESTS, "Python's requests trusts the certificates it names"),
    Reserved("JAVA_TOOL_OPTIONS", False, JAVA, "every JVM adds these options at start (-javaagent runs code)"),
    Reserved("JDK_JAVA_OPTIONS", False, JAVA, "the java launcher adds these options at start (-javaagent runs code)"),
    Reserved("RUBYOPT", False, RUBY, "Ruby adds these options at start (-r loads code)"),
    Reserved("RUBYLIB", False, RUBY, "Ruby looks up libraries there first"),
    Reserved("PERL5OPT", False, PERL, "Perl adds these options at start (-M loads code)"),
    Reserved("PERL5LIB", False, PERL, "Perl looks up libraries there first"),
    # libpq's connection defaults: PGHOSTADDR alone sends every connection to another server, whatever URL names.
    *(
        Reserved(name, False, LIBPQ, "libpq takes it as a connection default (where, to what and as whom it connects)")
        for name in LIBPQ_VARIABLES
    ),
    Reserved("PGSSL", True, LIBPQ, "libpq takes PGSSL* as its TLS settings (PGSSLMODE=disable, the roots it trusts)"),
    Reserved("PGGSS", True, LIBPQ, "libpq takes PGGSS* as its GSSAPI settings"),
    Reserved("NPM_RC", False, VERCEL_NPM, "Vercel writes it to the build's .npmrc (the registry packages come from)"),
    Reserved("OPENAI_BASE_URL", False, OPENAI_SDK, "OpenAI's SDK sends every request, the API key with it, there"),
    Reserved("ANTHROPIC_BASE_URL", False, ANTHROPIC_SDK, "Anthropic's SDK sends every request, the key with it, there"),
    Reserved("VUE_APP_", True, VUE_CLI, "Vue CLI sends VUE_APP_* to every browser"),
    Reserved("EXPO_PUBLIC_", True, EXPO, "Expo sends EXPO_PUBLIC_* to every app and browser"),
    Reserved("GLIBC_TUNABLES", False, GLIBC_TUNABLES, "glibc changes how every program runs (malloc, the loader)"),
    # A short host (`db`) resolved through another search domain reaches another server: names the guard compares
    # as written would no longer be where the connection goes.
    Reserved("LOCALDOMAIN", False, RESOLV_CONF, "the resolver searches these domains for every short name instead"),
    Reserved("RES_OPTIONS", False, RESOLV_CONF, "the resolver's options (ndots, and so which names are searched)"),
    Reserved("HOSTALIASES", False, HOSTNAME_7, "the resolver reads host name aliases from this file"),
)
"""Checked in this order; the first row that covers a name is the one a refusal cites."""


def reserved(name: str) -> Reserved | None:
    """The row that keeps `name` from being an extra secret's name, if any."""
    return next((row for row in RESERVED if row.covers(name)), None)
