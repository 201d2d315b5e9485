//! Where a file download may be redirected. Planfix answers `/file/{id}/download` with a
//! redirect to its file storage, and the bytes found there go on to WhatsApp: a redirect the
//! bridge followed blindly could make it fetch from inside its own network (the Lambda runtime
//! API on 127.0.0.1:9001, the metadata service on 169.254.169.254, a private VPC address) and
//! hand the answer to a customer. So every hop is checked: `https` only, to a host whose every
//! address is public.
//!
//! DNS rebinding: a name can resolve to a public address when checked and to a private one a
//! moment later, when the connection is made. The check here gives the clear error; the
//! enforcement is [`PublicOnly`], the resolver of the client that makes the request, which
//! checks the very addresses that client then connects to. (IP literals are never resolved,
//! and are checked here once and for all.)

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::Url;

/// Why a redirect target was refused, in words for an error message.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Refused(pub String);

/// Which client may fetch a checked target.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Hop {
    /// The configured Planfix server itself, on a loopback address (tests, the local
    /// simulation): fetched like the first request, without the address check.
    SameLoopbackServer,
    /// A public `https` host: fetched only through a client resolving with [`PublicOnly`].
    Public,
}

/// May a download follow a redirect to `target`? `base` is the configured Planfix base URL.
pub(crate) async fn check(base: &Url, target: &Url) -> Result<Hop, Refused> {
    if is_loopback_host(base) && base.origin() == target.origin() {
        return Ok(Hop::SameLoopbackServer);
    }
    let shown = target.host_str().unwrap_or("?").to_owned();
    let shown = match target.port() {
        Some(port) => format!("{shown}:{port}"),
        None => shown,
    };
    if target.scheme() != "https" {
        return Err(Refused(format!("{shown} is not an https URL")));
    }
    match literal_ip(target) {
        Some(ip) => check_address(ip).map_err(|why| Refused(format!("{shown} is {why}")))?,
        None => {
            let name = target.host_str().ok_or_else(|| Refused("the URL has no host".to_owned()))?;
            if is_localhost_name(name) {
                return Err(Refused(format!("{shown} names this machine")));
            }
            let port = target.port_or_known_default().unwrap_or(443);
            resolve_public(name, port).await.map_err(|why| Refused(format!("{shown} {why}")))?;
        }
    }
    Ok(Hop::Public)
}

/// The host as an IP address, when the URL names one (IPv6 hosts come in brackets).
fn literal_ip(url: &Url) -> Option<IpAddr> {
    let host = url.host_str()?;
    host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or(host).parse().ok()
}

/// All addresses of `name`, if every one of them is public.
async fn resolve_public(name: &str, port: u16) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> =
        tokio::net::lookup_host((name, port)).await.map_err(|e| format!("does not resolve ({e})"))?.collect();
    if addrs.is_empty() {
        return Err("does not resolve".to_owned());
    }
    // Every address: a client may connect to any of them.
    for addr in &addrs {
        check_address(addr.ip()).map_err(|why| format!("resolves to {why}"))?;
    }
    Ok(addrs)
}

/// The resolver of the client that follows redirects: it answers only names whose every
/// address is public, so the connection goes where the check said (see the module notes).
pub(crate) struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let name = name.as_str().to_owned();
        Box::pin(async move {
            if is_localhost_name(&name) {
                return Err("a name of this machine".into());
            }
            // Port 0: the client puts the URL's port in.
            let addrs = resolve_public(&name, 0).await?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

impl PublicOnly {
    pub(crate) fn shared() -> Arc<Self> {
        Arc::new(Self)
    }
}

fn is_loopback_host(url: &Url) -> bool {
    match literal_ip(url) {
        Some(ip) => ip.is_loopback(),
        None => url.host_str().is_some_and(is_localhost_name),
    }
}

/// `localhost` and its subdomains always mean this machine (RFC 6761), whatever DNS says.
fn is_localhost_name(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// `Err(what the address is)` unless it is a public unicast address.
pub(crate) fn check_address(ip: IpAddr) -> Result<(), String> {
    let refused = |what: &str| Err(format!("{ip} ({what})"));
    match ip {
        IpAddr::V4(v4) => check_v4(v4).map_err(|what| format!("{ip} ({what})")),
        IpAddr::V6(v6) => {
            // An IPv4 address in IPv6 clothing (mapped, compatible, NAT64) is that IPv4 address.
            if let Some(v4) = embedded_v4(v6) {
                return check_v4(v4).map_err(|what| format!("{ip} ({what})"));
            }
            let first = v6.segments()[0];
            if v6.is_unspecified() {
                refused("unspecified")
            } else if v6.is_loopback() {
                refused("loopback")
            } else if first & 0xffc0 == 0xfe80 {
                refused("link-local")
            } else if first & 0xffc0 == 0xfec0 {
                refused("site-local")
            } else if first & 0xfe00 == 0xfc00 {
                refused("private: unique local")
            } else if first & 0xff00 == 0xff00 {
                refused("multicast")
            } else if first == 0x2001 && v6.segments()[1] == 0x0db8 {
                refused("documentation")
            } else if first == 0x0100 && v6.segments()[1..4] == [0, 0, 0] {
                refused("discard-only")
            } else {
                Ok(())
            }
        }
    }
}

fn check_v4(ip: Ipv4Addr) -> Result<(), &'static str> {
    let [a, b, c, _] = ip.octets();
    if ip.is_unspecified() || a == 0 {
        Err("unspecified")
    } else if ip.is_loopback() {
        Err("loopback")
    } else if ip.is_link_local() {
        // 169.254.169.254 is the cloud metadata service.
        Err("link-local")
    } else if ip.is_private() {
        Err("private")
    } else if a == 100 && (64..128).contains(&b) {
        Err("carrier-grade NAT")
    } else if a == 192 && b == 0 && c == 0 {
        Err("IETF protocol assignments")
    } else if (a == 192 && b == 0 && c == 2) || (a == 198 && b == 51 && c == 100) || (a == 203 && b == 0 && c == 113) {
        Err("documentation")
    } else if a == 198 && (18..20).contains(&b) {
        Err("benchmarking")
    } else if ip.is_multicast() {
        Err("multicast")
    } else if a >= 240 {
        Err("reserved")
    } else {
        Ok(())
    }
}

/// The IPv4 address inside `::ffff:a.b.c.d`, `::a.b.c.d` and NAT64's `64:ff9b::a.b.c.d`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let tail = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s[..6] {
        [0, 0, 0, 0, 0, 0xffff] => Some(tail),
        // `::` and `::1` are IPv6's own unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0] if !ip.is_unspecified() && !ip.is_loopback() => Some(tail),
        [0x64, 0xff9b, 0, 0, 0, 0] => Some(tail),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_unicast_addresses_pass() {
        for refused in [
            "127.0.0.1",
            "127.8.9.10",
            "0.0.0.0",
            "0.1.2.3",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::10.0.0.1",
            "64:ff9b::a9fe:a9fe",
        ] {
            let ip: IpAddr = refused.parse().unwrap();
            assert!(check_address(ip).is_err(), "{refused} must be refused");
        }
        for public in
            ["8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "169.255.0.1", "2a00:1450:4001::200e", "::ffff:8.8.8.8"]
        {
            let ip: IpAddr = public.parse().unwrap();
            assert_eq!(check_address(ip), Ok(()), "{public}");
        }
    }

    #[tokio::test]
    async fn targets_are_https_to_public_hosts_except_the_loopback_planfix_itself() {
        let sim: Url = "http://127.0.0.1:4000/rest".parse().unwrap();
        let public: Url = "https://acme.planfix.com/rest".parse().unwrap();
        let target = |u: &str| u.parse::<Url>().unwrap();
        assert_eq!(check(&sim, &target("http://127.0.0.1:4000/download-storage/x")).await, Ok(Hop::SameLoopbackServer));
        for (base, refused) in [
            (&sim, "http://127.0.0.1:4001/"),
            (&sim, "https://127.0.0.1:4000/"),
            (&sim, "http://localhost:4000/"),
            (&public, "http://127.0.0.1:4000/"),
            (&public, "https://127.0.0.1/"),
            (&public, "https://[::1]/"),
            (&public, "https://[::ffff:a9fe:a9fe]/"),
            (&public, "https://169.254.169.254/latest/meta-data/"),
            (&public, "http://files.planfix.com/x"),
            (&public, "https://localhost/"),
            (&public, "https://files.LOCALHOST./"),
            (&public, "https://10.0.0.7/"),
            (&public, "ftp://files.planfix.com/x"),
        ] {
            assert!(check(base, &target(refused)).await.is_err(), "{refused} from {base}");
        }
        assert_eq!(check(&public, &target("https://8.8.8.8/x")).await, Ok(Hop::Public));
    }

    /// The resolver itself (what the connection uses) refuses names of private addresses:
    /// `localhost` resolves (from /etc/hosts) to loopback addresses only.
    #[tokio::test]
    async fn the_resolver_answers_public_names_only() {
        assert!(resolve_public("localhost", 443).await.is_err());
        let resolved = PublicOnly.resolve("localhost".parse().unwrap()).await;
        assert!(resolved.is_err());
    }
}
