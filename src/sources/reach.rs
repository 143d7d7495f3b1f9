//! Which addresses a fetch may reach. Anything a chat user can make the bot fetch (`/ingest`,
//! `/feed add`, `/feed preview`, the feed poller and the pages it follows) reaches only the
//! public internet: names are resolved first and every address checked, literal addresses and
//! every redirect too, so neither a link nor a DNS answer nor a redirect leads into the
//! operator's network. The operator may name internal hosts that are allowed anyway; the
//! operator's own command line reaches anything.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Where fetches may go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    /// The public internet, and these hosts the operator allowed
    /// (`READINGROOM_FETCH_ALLOW`).
    Public(Vec<Allowed>),
    /// Anywhere: the operator's own command line.
    Anywhere,
}

impl Default for Reach {
    fn default() -> Self {
        Reach::Public(Vec::new())
    }
}

/// A host the operator allows although it is not public: `intranet.example`,
/// `127.0.0.1:8080`, `[::1]:9000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowed {
    /// The host name or address, lower-case, IPv6 without brackets.
    pub host: String,
    /// Only this port, when given.
    pub port: Option<u16>,
}

impl std::str::FromStr for Allowed {
    type Err = &'static str;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let url = url::Url::parse(&format!("http://{}", text.trim()))
            .map_err(|_| "host or host:port, e.g. wiki.internal or 127.0.0.1:8080")?;
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string().to_ascii_lowercase(),
            None => return Err("host or host:port, e.g. wiki.internal or 127.0.0.1:8080"),
        };
        if url.path() != "/" || url.query().is_some() {
            return Err("host or host:port, without a path");
        }
        Ok(Allowed {
            host,
            port: url.port(),
        })
    }
}

/// A fetch refused because its address is not on the public internet.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0} is not on the public internet")]
pub struct NotPublic(pub String);

/// Whether an address belongs to the public internet: not loopback, private, link-local,
/// unique-local, shared (CGNAT), multicast, unspecified, documentation, benchmarking or
/// reserved, nor an IPv4 address dressed as IPv6 (mapped, compatible, NAT64, 6to4) that is one
/// of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded = |high: u16, low: u16| {
        Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8)
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    match segments {
        // IPv4-compatible (deprecated) and the unspecified and loopback addresses.
        [0, 0, 0, 0, 0, 0, _, _] => false,
        // NAT64 (64:ff9b::/96): an IPv4 address behind a translator.
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => is_public_v4(embedded(high, low)),
        // 6to4 (2002::/16) carries an IPv4 address in bits 16-48.
        [0x2002, high, low, ..] => is_public_v4(embedded(high, low)),
        // Documentation (2001:db8::/32).
        [0x2001, 0xdb8, ..] => false,
        [first, ..] => {
            !(ip.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local
                || (first & 0xffc0) == 0xfe80 // link-local
                || (first & 0xffc0) == 0xfec0) // site-local (deprecated)
        }
    }
}

impl Reach {
    /// Whether the operator allowed `host` (on any port).
    fn allows_name(&self, host: &str) -> bool {
        match self {
            Reach::Anywhere => true,
            Reach::Public(allowed) => allowed.iter().any(|a| a.host == host),
        }
    }

    /// Checks a URL before it is fetched, and again at every redirect: an allowed host:port
    /// passes; a literal address must be public; a name the operator allowed on another port
    /// is refused; other names are checked when they are resolved (see [`Reach::resolver`]).
    pub fn check(&self, url: &reqwest::Url) -> Result<(), NotPublic> {
        let Reach::Public(allowed) = self else {
            return Ok(());
        };
        let refused = || NotPublic(url.host_str().unwrap_or_default().to_owned());
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string().to_ascii_lowercase(),
            None => return Err(refused()),
        };
        let port = url.port_or_known_default();
        if allowed
            .iter()
            .any(|a| a.host == host && (a.port.is_none() || a.port == port))
        {
            return Ok(());
        }
        match url.host() {
            Some(url::Host::Ipv4(ip)) if !is_public_v4(ip) => Err(refused()),
            Some(url::Host::Ipv6(ip)) if !is_public_v6(ip) => Err(refused()),
            Some(url::Host::Domain(_)) if self.allows_name(&host) => Err(refused()),
            _ => Ok(()),
        }
    }

    /// A DNS resolver that drops every address not on the public internet, unless the
    /// operator allowed the name; a name left with no address is refused.
    pub fn resolver(&self) -> Arc<PublicResolver> {
        Arc::new(PublicResolver(self.clone()))
    }
}

/// See [`Reach::resolver`].
#[derive(Debug)]
pub struct PublicResolver(Reach);

impl Resolve for PublicResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let open = self.0.allows_name(&host);
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let usable: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| open || is_public(addr.ip()))
                .collect();
            if usable.is_empty() {
                return Err(Box::new(NotPublic(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(usable.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn check(reach: &Reach, url: &str) -> bool {
        reach.check(&reqwest::Url::parse(url).unwrap()).is_ok()
    }

    #[test]
    fn internal_addresses_in_every_form_are_refused() {
        let public = Reach::default();
        for url in [
            "http://127.0.0.1/",
            "http://127.1.2.3:8080/x",
            "http://2130706433/",
            "http://0x7f000001/",
            "http://0177.0.0.1/",
            "http://localhost./",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:7f00:1]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:c0a8:0101::1]/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[fd00::1]/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://[ff02::1]/",
            "http://192.0.2.1/",
            "http://198.18.0.1/",
            "http://240.0.0.1/",
            "http://255.255.255.255/",
            "http://[2001:db8::1]/",
        ] {
            let literal = !url.starts_with("http://localhost");
            assert!(
                !literal || !check(&public, url),
                "{url} must be refused before any connection"
            );
        }
        for url in [
            "https://93.184.215.14/",
            "http://[2606:4700::1111]/",
            "https://example.org/",
        ] {
            assert!(check(&public, url), "{url} is public");
        }
    }

    #[test]
    fn the_operator_allows_named_hosts_and_ports_only() {
        let reach = Reach::Public(vec![
            "127.0.0.1:8080".parse().unwrap(),
            "wiki.internal".parse().unwrap(),
            "[::1]:9000".parse().unwrap(),
        ]);
        assert!(check(&reach, "http://127.0.0.1:8080/a"));
        assert!(!check(&reach, "http://127.0.0.1:8081/a"), "another port");
        assert!(check(&reach, "http://[::1]:9000/"));
        assert!(check(&reach, "http://WIKI.internal:3000/"));
        assert!("http://x/y".parse::<Allowed>().is_err());
        assert!(check(&Reach::Anywhere, "http://10.0.0.1/"));
    }

    #[tokio::test]
    async fn names_that_resolve_inside_are_refused() {
        let resolver = Reach::default().resolver();
        let refused = resolver.resolve("localhost".parse().unwrap()).await;
        let error = refused.err().unwrap();
        assert!(error.downcast_ref::<NotPublic>().is_some(), "{error}");
        let allowed = Reach::Public(vec!["localhost".parse().unwrap()]).resolver();
        let addrs: Vec<SocketAddr> = allowed
            .resolve("localhost".parse().unwrap())
            .await
            .unwrap()
            .collect();
        assert!(addrs.iter().all(|a| a.ip().is_loopback()) && !addrs.is_empty());
    }
}
