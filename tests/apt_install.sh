# Sourced by the test install scripts (tests/ui/install_browser.sh, tests/proxy/install_servers.sh).
# apt_install MESSAGE PACKAGE...: install the Debian packages when root; otherwise print
# MESSAGE (which tests will be skipped) and succeed, since those tests skip themselves.
apt_install() {
    message=$1
    shift
    if [ "$(id -u)" -ne 0 ]; then
        echo "$message" >&2
        return 0
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "$@"
}
