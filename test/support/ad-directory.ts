import { fileURLToPath } from 'node:url';
import { startSlapd, type Slapd, type SlapdOptions } from './slapd.js';

/** AD's user and group classes (ad-contact.schema has the attributes and contact). */
export const AD_DIRECTORY_SCHEMA: string = fileURLToPath(new URL('./ad-directory.schema', import.meta.url));

export const AD_SUFFIX = 'dc=example,dc=com';
/** The account `import ldap` binds as: not the root DN, which slapd exempts from every limit. */
export const SERVICE_DN = `cn=chainmail,ou=Service,${AD_SUFFIX}`;
export const SERVICE_PASSWORD = 'svc-Pa55-Zq81-never-shown';

/** A user, group or contact as the directory holds it. */
export interface AdRecipient {
  readonly dn: string;
  readonly objectClass: 'user' | 'group' | 'contact';
  readonly cn: string;
  readonly proxyAddresses: readonly string[];
  readonly targetAddress?: string;
  /** AD keeps the primary SMTP address (a contact: its target) in mail. */
  readonly mail?: string;
  readonly mailNickname?: string;
  readonly givenName?: string;
  readonly sn?: string;
}

/**
 * A deterministic AD-like population: users (every third with an alias in another case,
 * every fifth with an X500: value that is not mail), a few mail-enabled groups, and
 * contacts whose targetAddress is in a partner's domain with a secondary address here.
 */
export function adPopulation(users: number, contacts: number, groups = 10): AdRecipient[] {
  const out: AdRecipient[] = [];
  for (let i = 0; i < users; i++) {
    const proxies = [`SMTP:user${i}@example.com`];
    if (i % 3 === 0) proxies.push(`smtp:U${i}.Alias@Example.COM`);
    if (i % 5 === 0) proxies.push(`X500:/o=ExchangeLabs/ou=Exchange/cn=Recipients/cn=user${i}`);
    out.push({ dn: `cn=User ${i},ou=Users,${AD_SUFFIX}`, objectClass: 'user', cn: `User ${i}`, proxyAddresses: proxies, mail: `user${i}@example.com`, mailNickname: `user${i}`, givenName: 'User', sn: String(i) });
  }
  for (let i = 0; i < groups; i++) {
    out.push({ dn: `cn=Group ${i},ou=Groups,${AD_SUFFIX}`, objectClass: 'group', cn: `Group ${i}`, proxyAddresses: [`SMTP:group${i}@example.com`], mail: `group${i}@example.com`, mailNickname: `group${i}` });
  }
  for (let i = 0; i < contacts; i++) {
    const target = `c${i}@partner.example.net`;
    out.push({
      dn: `cn=Contact ${i},ou=Contacts,${AD_SUFFIX}`,
      objectClass: 'contact',
      cn: `Contact ${i}`,
      proxyAddresses: [`SMTP:${target}`, `smtp:contact${i}@example.com`],
      targetAddress: `SMTP:${target}`,
      mail: target,
      mailNickname: `contact${i}`,
      givenName: 'Contact',
      sn: String(i),
    });
  }
  return out;
}

/** The population as LDIF for slapadd, with the OUs and the service account. */
export function adLdif(recipients: readonly AdRecipient[]): string {
  const parts: string[] = [];
  for (const ou of ['Users', 'Groups', 'Contacts', 'Service']) parts.push(`dn: ou=${ou},${AD_SUFFIX}\nobjectClass: organizationalUnit\nou: ${ou}\n`);
  parts.push(`dn: ${SERVICE_DN}\nobjectClass: user\ncn: chainmail\nuserPassword: ${SERVICE_PASSWORD}\n`);
  for (const r of recipients) {
    const lines = [`dn: ${r.dn}`, `objectClass: ${r.objectClass}`, `cn: ${r.cn}`];
    for (const p of r.proxyAddresses) lines.push(`proxyAddresses: ${p}`);
    if (r.targetAddress !== undefined) lines.push(`targetAddress: ${r.targetAddress}`);
    if (r.mail !== undefined) lines.push(`mail: ${r.mail}`);
    if (r.mailNickname !== undefined) lines.push(`mailNickname: ${r.mailNickname}`);
    if (r.givenName !== undefined) lines.push(`givenName: ${r.givenName}`);
    if (r.sn !== undefined) lines.push(`sn: ${r.sn}`);
    parts.push(`${lines.join('\n')}\n`);
  }
  return parts.join('\n');
}

/**
 * slapd with Active Directory's paging behaviour: at most `sizeLimit` entries per search
 * (AD's MaxPageSize is 1,000), so an unpaged search of more fails with sizeLimitExceeded,
 * while a paged search may return pages of up to that size without a total limit
 * (slapd.conf(5) limits: size.pr, size.prtotal). Users read, anonymous only binds.
 * `userLimits`: more of the bound users' limits (` size.unchecked=10`).
 */
export async function startAdSlapd(recipients: readonly AdRecipient[], extra: Partial<SlapdOptions> = {}, sizeLimit = 1000, userLimits = ''): Promise<Slapd> {
  return startSlapd({
    suffix: AD_SUFFIX,
    schemas: [AD_DIRECTORY_SCHEMA],
    seed: adLdif(recipients),
    databaseConfig: [
      'index objectClass eq',
      'index proxyAddresses eq,sub',
      'index mail eq',
      `limits users size.soft=${sizeLimit} size.hard=${sizeLimit} size.pr=${sizeLimit} size.prtotal=unlimited${userLimits}`,
      `limits anonymous size.soft=${sizeLimit} size.hard=${sizeLimit} size.pr=${sizeLimit} size.prtotal=unlimited`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
    ],
    ...extra,
  });
}

/** A system's `directory:` block (YAML, 4 spaces deep) that binds as the service account. */
export function directoryYaml(url: string, more: readonly string[] = []): string {
  const lines = [`url: "${url}"`, `baseDn: "${AD_SUFFIX}"`, `bindDn: "${SERVICE_DN}"`, 'passwordEnv: CHAINMAIL_LDAP_PASSWORD', 'snapshot: recipients.yaml', ...more];
  return `    directory:\n${lines.map((l) => `      ${l}\n`).join('')}`;
}

/** A Postfix system that delivers the directory's users itself and rewrites its contacts. */
export const postfixOrg = (url: string, lookups: 'static' | 'ldap'): string => `version: 1
directory: { baseDn: "${AD_SUFFIX}" }
domains:
  example.com: {}
  partner.example.net: { remote: true }
systems:
  unix:
    kind: postfix
    host: "[10.0.0.7]"
    gateway: true
    localTransport: "lmtp:unix:private/dovecot-lmtp"
${directoryYaml(url, [`lookups: ${lookups}`])}policies:
  - { name: own, system: unix, addresses: [{ space: "@example.com", authoritative: true }] }
  - { name: partner, system: unix, filter: null, addresses: [{ space: "@partner.example.net", authoritative: false }] }
connectors:
  - { name: partner, system: unix, addressSpaces: [partner.example.net], smartHosts: ["[192.0.2.25]"], allowRelay: true }
include: [recipients.yaml]
`;
