import * as fs from 'fs';
import * as path from 'path';
import { Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { falcoSchemaErrors, stableRules } from './_falco';
import {
  FalcoBaseRuleset, FalcoDriver, FalcoOverrideMode, FalcoPriority, FalcoRuleSet, IntentGraph, OutputFile, Privilege,
} from '../../src';
import { parseCondition, parseOutput } from '../../src/runtime/_falco-condition';
import { STABLE_RULESET } from '../../src/runtime/_stable-ruleset';
import { find, synthValid } from '../support/synth';

const RULE = {
  name: 'Outbound to unexpected port',
  desc: 'a connection to a port outside the allowed list',
  condition: 'evt.type = connect and container and not fd.sport in (allowed_outbound_ports)',
  output: 'connection to %fd.sport from %proc.name (container=%container.name)',
  priority: FalcoPriority.WARNING,
};

function ruleSet(props = {}): { chart: Chart; set: FalcoRuleSet } {
  const chart = Testing.chart();
  return { chart, set: new FalcoRuleSet(chart, 'rules', props) };
}

/** Renders the set, returning the thrown message. */
function renderError(set: FalcoRuleSet): string {
  try {
    set.renderRulesFile();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('FalcoRuleSet', () => {
  test('synthesizes the chart\'s rules ConfigMap and the equivalent Helm values', () => {
    // GIVEN
    const app = Testing.app();
    const chart = new Chart(app, 'runtime');
    const set = new FalcoRuleSet(chart, 'rules');
    set.addList({ name: 'allowed_outbound_ports', items: ['443', '8080'] });
    set.addRule({ ...RULE, tags: ['network'], exceptions: [{ name: 'proxies', fields: ['container.name'], values: [['istio-proxy']] }] });

    // WHEN
    const manifests = synthValid(chart);
    const files = OutputFile.synthAll(app);

    // THEN
    expect(manifests).toMatchSnapshot();
    const configMap = find(manifests, 'ConfigMap', 'falco-rules', 'falco');
    expect(Object.keys(configMap.data)).toEqual(['zero-trust-rules.yaml']);
    expect(configMap.metadata.annotations).toEqual({ 'meta.helm.sh/release-name': 'falco', 'meta.helm.sh/release-namespace': 'falco' });
    expect(configMap.metadata.labels['app.kubernetes.io/managed-by']).toBe('Helm');
    const text = configMap.data['zero-trust-rules.yaml'];
    expect(falcoSchemaErrors(text)).toEqual([]);
    expect(yaml.parse(text)).toEqual([
      { required_engine_version: '0.57.0' },
      { required_plugin_versions: [{ name: 'container', version: '0.4.0' }] },
      { list: 'allowed_outbound_ports', items: [443, 8080] },
      {
        rule: RULE.name,
        desc: RULE.desc,
        condition: RULE.condition,
        output: RULE.output,
        priority: 'WARNING',
        tags: ['network'],
        exceptions: [{ name: 'proxies', fields: ['container.name'], comps: ['='], values: [['istio-proxy']] }],
      },
    ]);
    expect(files).toEqual(['helm/falco-values.yaml']);
    const values = yaml.parse(fs.readFileSync(path.join(`${app.outdir}-files`, 'helm/falco-values.yaml'), 'utf8'));
    expect(values).toEqual({ driver: { kind: 'auto' }, customRules: { 'zero-trust-rules.yaml': text }, metrics: { enabled: true, rulesCountersEnabled: true } });
  });

  test('every rules file of one Falco release shares the chart\'s one ConfigMap and values file', () => {
    const app = Testing.app();
    const chart = new Chart(app, 'runtime');
    const a = new FalcoRuleSet(chart, 'a', { driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED });
    const b = new FalcoRuleSet(chart, 'b', { fileName: 'b-rules.yaml', driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED });
    const other = new FalcoRuleSet(chart, 'other', { namespace: 'falco-canary', driver: FalcoDriver.MODERN_EBPF, helmValuesPath: 'helm/falco-canary-values.yaml' });
    a.addRule({ ...RULE, condition: 'evt.type=connect', output: 'a %proc.name' });
    b.addRule({ ...RULE, name: 'Another rule', condition: 'evt.type=accept', output: 'b %proc.name' });
    other.addRule({ ...RULE, condition: 'evt.type=connect', output: 'a %proc.name' });
    const manifests = synthValid(chart);
    expect(manifests.filter(m => m.kind === 'ConfigMap').map(m => `${m.metadata.namespace}/${m.metadata.name}`)).toEqual(['falco/falco-rules', 'falco-canary/falco-rules']);
    const data = find(manifests, 'ConfigMap', 'falco-rules', 'falco').data;
    expect(Object.keys(data)).toEqual(['b-rules.yaml', 'zero-trust-rules.yaml']);
    expect(b.configMap).toBe(a.configMap);
    expect(OutputFile.synthAll(app)).toEqual(['helm/falco-canary-values.yaml', 'helm/falco-values.yaml']);
    const values = yaml.parse(fs.readFileSync(path.join(`${app.outdir}-files`, 'helm/falco-values.yaml'), 'utf8'));
    expect(values.customRules).toEqual(data);
    expect(values.driver).toEqual({ kind: 'modern_ebpf', modernEbpf: { leastPrivileged: true } });
    expect([...new Set(IntentGraph.of(chart).privilegedWorkloads.map(w => w.workloadKey))]).toEqual(['falco-canary/DaemonSet/falco', 'falco/DaemonSet/falco']);
    // the same rule name in two files of one release is an error
    b.addRule({ ...RULE, condition: 'evt.type=connect', output: 'a %proc.name' });
    expect(() => Testing.synth(chart)).toThrow(/^\[runtime\/a\] invalid rules "Outbound to unexpected port": runtime\/b \(b-rules\.yaml\) already defines this rule for the same Falco release/);
    expect(() => new FalcoRuleSet(chart, 'c', { fileName: 'b-rules.yaml' })).toThrow(/^\[runtime\/c\] invalid fileName "b-rules\.yaml": runtime\/b already writes this rules file for Falco release falco\/falco/);
    expect(() => new FalcoRuleSet(chart, 'd', { fileName: 'd.yaml' })).toThrow(/^\[runtime\/d\] invalid driver "auto": runtime\/a declared driver modern_ebpf-least-privileged/);
  });

  test('declares the Falco DaemonSet as a privileged workload, per driver, exact per container', () => {
    const { set } = ruleSet();
    const declared = IntentGraph.of(set).privilegedWorkloads;
    expect(declared.map(w => w.key)).toEqual([
      'falco/DaemonSet/falco',
      'falco/DaemonSet/falco[falco-driver-loader]',
      'falco/DaemonSet/falco[falco]',
      'falco/DaemonSet/falco[falcoctl-artifact-follow]',
      'falco/DaemonSet/falco[falcoctl-artifact-install]',
    ]);
    const byKey = (key: string) => declared.find(w => w.key === key)!;
    expect(byKey('falco/DaemonSet/falco').privileges).toEqual([Privilege.HOST_PATH, Privilege.SERVICE_ACCOUNT_TOKEN]);
    // the falcosecurity/falco chart 9.1.0's hostPath volumes with driver auto
    expect(byKey('falco/DaemonSet/falco').hostPaths).toEqual(['/boot', '/dev', '/etc', '/lib/modules', '/proc', '/run/containerd/containerd.sock', '/run/crio/crio.sock',
      '/run/host-containerd/containerd.sock', '/run/k3s/containerd/containerd.sock', '/run/podman/podman.sock', '/sys/kernel', '/sys/module', '/usr', '/var/run/docker.sock']);
    expect(byKey('falco/DaemonSet/falco[falco]').privileges).toEqual([
      Privilege.PRIVILEGE_ESCALATION, Privilege.PRIVILEGED_CONTAINER, Privilege.RUN_AS_ROOT,
      Privilege.UNCONFINED_SECCOMP, Privilege.WRITABLE_ROOT_FILESYSTEM,
    ]);
    // falcoctl is neither privileged nor given capabilities: only the chart's missing securityContext and resources
    expect(byKey('falco/DaemonSet/falco[falcoctl-artifact-follow]').privileges).not.toContain(Privilege.PRIVILEGED_CONTAINER);
    expect(byKey('falco/DaemonSet/falco[falcoctl-artifact-follow]').privileges).toContain(Privilege.UNBOUNDED_RESOURCES);
    expect(byKey('falco/DaemonSet/falco[falco]').reason).toMatch(/driver auto/);

    const least = ruleSet({ driver: FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED }).set;
    const leastDeclared = IntentGraph.of(least).privilegedWorkloads;
    const leastFalco = leastDeclared.find(w => w.key === 'falco/DaemonSet/falco[falco]')!;
    expect(leastFalco.privileges).not.toContain(Privilege.PRIVILEGED_CONTAINER);
    expect(leastFalco.capabilities).toEqual(['BPF', 'PERFMON', 'SYS_PTRACE', 'SYS_RESOURCE']);
    expect(leastDeclared.map(w => w.key)).not.toContain('falco/DaemonSet/falco[falco-driver-loader]');
    expect(leastDeclared.find(w => w.containers.length === 0)!.hostPaths).not.toContain('/dev');
    const modern = IntentGraph.of(ruleSet({ driver: FalcoDriver.MODERN_EBPF }).set).privilegedWorkloads;
    expect(modern.find(w => w.key === 'falco/DaemonSet/falco[falco]')!.privileges).toContain(Privilege.PRIVILEGED_CONTAINER);
    expect(modern.find(w => w.containers.length === 0)!.hostPaths).not.toContain('/sys/module');

    // a second rules file for the same Falco installation does not declare it twice
    new FalcoRuleSet(Chart.of(set), 'more', { fileName: 'more.yaml' });
    expect(IntentGraph.of(set).privilegedWorkloads).toHaveLength(5);
  });

  test('emits macros after the macros they use, lists first, overrides last; adding the same item twice is idempotent', () => {
    const { set } = ruleSet();
    set.addRule({ ...RULE, condition: 'my_outer' });
    set.addMacro({ name: 'my_outer', condition: 'my_inner and container' });
    set.addMacro({ name: 'my_inner', condition: 'proc.name in (my_procs)' });
    set.addMacro({ name: 'my_inner', condition: 'proc.name in (my_procs)' });
    set.addList({ name: 'my_procs', items: ['curl', '"my tool"'] });
    set.overrideRule({ rule: 'Terminal shell in container', exceptions: [{ name: 'debug_ns', fields: ['k8s.ns.name'], values: [['debug']] }] });
    set.appendToList('shell_binaries', ['fish']);
    set.overrideMacro('user_known_system_user_login', 'proc.pname=my-supervisor', FalcoOverrideMode.REPLACE);
    const items = set.toRulesFile().slice(2);
    expect(items.map(i => i.rule ?? i.macro ?? i.list)).toEqual([
      'my_procs', 'shell_binaries', 'my_inner', 'my_outer', 'user_known_system_user_login', RULE.name, 'Terminal shell in container',
    ]);
    expect(items[1]).toEqual({ list: 'shell_binaries', items: ['fish'], override: { items: 'append' } });
    expect(items[6].override).toEqual({ exceptions: 'append' });
    expect(items[0].items).toEqual(['curl', '"my tool"']);
    expect(falcoSchemaErrors(set.renderRulesFile())).toEqual([]);
  });

  test('overrideRule renders every key with its mode', () => {
    const { set } = ruleSet();
    set.overrideRule({
      rule: 'Read sensitive file untrusted',
      condition: 'and not proc.name=backup',
      tags: ['pci'],
      output: 'read %fd.name',
      priority: FalcoPriority.ERROR,
      enabled: false,
    });
    const [item] = set.toRulesFile().slice(1);
    expect(item.override).toEqual({ condition: 'append', tags: 'append', output: 'replace', priority: 'replace', enabled: 'replace' });
    expect(falcoSchemaErrors(set.renderRulesFile())).toEqual([]);
  });

  test('plugins: none without container fields, as given otherwise', () => {
    const { set } = ruleSet();
    set.addRule({ ...RULE, condition: 'evt.type=connect and fd.sport=22', output: 'ssh from %proc.name' });
    expect(set.toRulesFile().map(i => Object.keys(i)[0])).toEqual(['required_engine_version', 'rule']);
    const custom = ruleSet({ requiredEngineVersion: '0.58.0', requiredPluginVersions: [{ name: 'container', version: '0.5.0', alternatives: [{ name: 'k8smeta', version: '0.3.0' }] }] }).set;
    custom.addRule({ ...RULE, condition: 'evt.type=connect', output: 'x %proc.name' });
    expect(custom.toRulesFile().slice(0, 2)).toEqual([
      { required_engine_version: '0.58.0' },
      { required_plugin_versions: [{ name: 'container', version: '0.5.0', alternatives: [{ name: 'k8smeta', version: '0.3.0' }] }] },
    ]);
    expect(falcoSchemaErrors(custom.renderRulesFile())).toEqual([]);
  });

  test('the whole stable ruleset round-trips through the typed API and passes every check', () => {
    // GIVEN every macro, list and rule of falco-rules 5.1.0, with no base ruleset
    const { set } = ruleSet({ baseRuleset: FalcoBaseRuleset.NONE, strictListNames: false });
    let counts = { rules: 0, macros: 0, lists: 0 };
    for (const item of stableRules()) {
      if (item.list) {
        set.addList({ name: item.list, items: item.items.map(String) });
        counts.lists++;
      } else if (item.macro) {
        set.addMacro({ name: item.macro, condition: item.condition });
        counts.macros++;
      } else if (item.rule) {
        set.addRule({
          name: item.rule,
          desc: item.desc,
          condition: item.condition,
          output: item.output,
          priority: item.priority.toUpperCase() === 'INFO' ? FalcoPriority.INFORMATIONAL : item.priority.toUpperCase(),
          tags: item.tags,
          enabled: item.enabled,
          exceptions: item.exceptions,
        });
        counts.rules++;
      }
    }
    // WHEN / THEN: every reference resolves, every typed list is typed, and Falco's schema accepts it
    const lists = Object.keys(STABLE_RULESET.lists).length;
    expect(counts).toEqual({ rules: STABLE_RULESET.rules.length, macros: STABLE_RULESET.macros.length, lists });
    const text = set.renderRulesFile();
    expect(falcoSchemaErrors(text)).toEqual([]);
    expect(yaml.parse(text).filter((i: any) => i.rule).map((i: any) => i.rule).sort()).toEqual([...STABLE_RULESET.rules]);
  });

  test('the condition parser reads every stable condition and output and finds only defined macros', () => {
    const items = stableRules();
    const macros = new Set(items.filter(i => i.macro).map(i => i.macro));
    const lists = new Set(items.filter(i => i.list).map(i => i.list));
    let conditions = 0;
    const listRefs = new Set<string>();
    for (const item of items.filter(i => i.condition)) {
      const refs = parseCondition(item.condition);
      expect(refs.macros.filter(m => !macros.has(m))).toEqual([]);
      refs.lists.flatMap(l => l.items).filter(i => lists.has(i)).forEach(i => listRefs.add(i));
      if (item.output) parseOutput(item.output);
      conditions++;
    }
    expect(conditions).toBe(112);
    // the parser tells lists from literals: every stable list but the port list behind a macro is referenced
    expect(listRefs.size).toBeGreaterThan(30);
    expect(parseCondition('proc.pname in (runc:[0:PARENT], exe) and proc.aname[2]=sshd and evt.res startswith E and not never_true')).toEqual({
      macros: ['never_true'],
      fields: ['proc.pname', 'proc.aname[2]', 'evt.res'],
      lists: [{ field: 'proc.pname', operator: 'in', items: ['runc:[0:PARENT]', 'exe'] }],
      comparisons: [{ field: 'proc.aname[2]', operator: '=', value: 'sshd' }, { field: 'evt.res', operator: 'startswith', value: 'E' }],
    });
    expect(parseCondition('tolower(proc.name) = val(proc.pname) and k8s.pod.label[app.kubernetes.io/name]=web').fields)
      .toEqual(['proc.name', 'proc.pname', 'k8s.pod.label[app.kubernetes.io/name]']);
  });

  test('the strict list check flags exactly the stable ruleset\'s four bare snake_case literals', () => {
    const items = stableRules();
    const lists = new Set(items.filter(i => i.list).map(i => i.list));
    const flagged = items.filter(i => i.condition).flatMap(i => parseCondition(i.condition).lists
      .filter(l => l.field !== 'evt.type')
      .flatMap(l => l.items.filter(x => /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(x) && !lists.has(x))));
    expect(flagged.sort()).toEqual(['c_rehash', 'erl_child_setup', 'unicorn_launche']);
  });

  describe('errors', () => {
    test('fails when a macro is undefined (container_started is incubating only)', () => {
      const { set } = ruleSet();
      set.addRule({ ...RULE, condition: 'container_started and container.privileged=true' });
      expect(renderError(set)).toMatch(/^\[test\/rules\] invalid rules\["Outbound to unexpected port"\]\.condition "container_started": is a macro defined neither in this set nor falco-rules 5\.1\.0 \(stable\).*Undefined macro.*spawned_process and container and proc\.vpid=1/);
    });

    test('accepts container_started when the base ruleset declares the incubating rules', () => {
      const { set } = ruleSet({ baseRuleset: FalcoBaseRuleset.STABLE.extend({ name: 'stable + incubating', macros: ['container_started'] }) });
      set.addRule({ ...RULE, condition: 'container_started and container.privileged=true' });
      expect(set.toRulesFile()).toHaveLength(3);
    });

    test('fails when a list used on a port field is undefined', () => {
      const { set } = ruleSet();
      set.addRule(RULE);
      expect(renderError(set)).toMatch(/invalid rules\["Outbound to unexpected port"\]\.condition "allowed_outbound_ports": is used as a list on the port field fd\.sport but is a list defined neither.*unrecognized protocol.*define the list with addList\(\)/);
    });

    test('fails when a list used on a port field holds non-ports', () => {
      const { set } = ruleSet();
      set.addList({ name: 'allowed_outbound_ports', items: ['443', 'https'] });
      set.addRule(RULE);
      expect(renderError(set)).toMatch(/invalid rules\["Outbound to unexpected port"\]\.condition "https": is not an integer, but the list is used on the port field fd\.sport/);
    });

    test('fails when a list used on an address field holds non-addresses', () => {
      const { set } = ruleSet();
      set.addList({ name: 'my_nets', items: ['"10.0.0.0/8"', 'internal'] });
      set.addRule({ ...RULE, condition: 'evt.type=connect and fd.snet in (my_nets)' });
      expect(renderError(set)).toMatch(/invalid rules\[.*\]\.condition "internal": is not an IP address or CIDR/);
    });

    test('fails when a snake_case list on a string field is undefined', () => {
      const { set } = ruleSet();
      set.addRule({ ...RULE, condition: 'spawned_process and proc.name in (allowed_procs)' });
      expect(renderError(set)).toMatch(/invalid rules\[.*\]\.condition "allowed_procs": is used as a list on proc\.name but is a list defined neither.*literal string.*quote it \('"allowed_procs"'\)/);
      const quoted = ruleSet().set;
      quoted.addRule({ ...RULE, condition: 'spawned_process and proc.name in ("allowed_procs")' });
      expect(quoted.toRulesFile()).toHaveLength(3);
    });

    test('throws when the priority is unknown', () => {
      const { set } = ruleSet();
      expect(() => set.addRule({ ...RULE, priority: 'SEVERE' as FalcoPriority }))
        .toThrow(/^\[test\/rules\] invalid priority "SEVERE": must be a FalcoPriority \(FalcoPriority.EMERGENCY = "EMERGENCY"/);
    });

    test('throws when a different rule with the same name is added', () => {
      const { set } = ruleSet();
      set.addRule({ ...RULE, condition: 'evt.type=connect' });
      expect(() => set.addRule({ ...RULE, condition: 'evt.type=accept' })).toThrow(/invalid rules "Outbound to unexpected port": a different rule with this name is already defined in this set/);
    });

    test('throws when a rule, macro or list redefines the base ruleset\'s', () => {
      const { set } = ruleSet();
      expect(() => set.addRule({ ...RULE, name: 'Terminal shell in container' })).toThrow(/invalid rules "Terminal shell in container": falco-rules 5\.1\.0 \(stable\) already defines this rule.*use overrideRule\(\)/);
      expect(() => set.addMacro({ name: 'container', condition: 'container.id != host' })).toThrow(/invalid macros "container".*use overrideMacro\(\)/);
      expect(() => set.addList({ name: 'shell_binaries', items: ['sh'] })).toThrow(/invalid lists "shell_binaries".*use appendToList\(\)/);
    });

    test.each([
      ['unbalanced parentheses', 'spawned_process and (container', /expected '\)' \(unbalanced parentheses\) but found the end/],
      ['a stray closing parenthesis', 'spawned_process) and container', /unbalanced parentheses: unexpected '\)'/],
      ['an unterminated quote', 'proc.name = "bash and container', /unterminated double quote at offset 12/],
      ['a malformed field name', 'proc..name = bash', /'proc\.\.name' at offset 0 is not a field name/],
      ['an unknown field class', 'process.name = bash', /"process\.name": is not a field of the syscall source/],
      ['a field without an operator', 'proc.name and container', /expected an operator after field 'proc\.name'/],
      ['an unknown operator', 'proc.name like bash', /unknown operator 'like'/],
    ])('throws on %s in a condition', (_what, condition, message) => {
      const { set } = ruleSet();
      expect(() => set.addRule({ ...RULE, condition })).toThrow(/^\[test\/rules\] invalid rules\["Outbound to unexpected port"\]\.condition /);
      expect(() => set.addRule({ ...RULE, condition })).toThrow(message);
    });

    test.each([
      ['a bare %', 'cpu at 100% now', /'%' at offset 10 is not followed by a field name/],
      ['unbalanced parentheses', 'shell (user=%user.name', /a '\(' is never closed/],
      ['an unknown field class', 'by %usr.name', /"usr\.name": is not a field of the syscall source/],
    ])('throws on %s in an output', (_what, output, message) => {
      const { set } = ruleSet();
      expect(() => set.addRule({ ...RULE, output })).toThrow(/invalid rules\["Outbound to unexpected port"\]\.output /);
      expect(() => set.addRule({ ...RULE, output })).toThrow(message);
    });

    test('fails when an override targets an undefined rule, macro or list', () => {
      const rule = ruleSet().set;
      rule.overrideRule({ rule: 'Terminal Shell In Container', enabled: false });
      expect(renderError(rule)).toMatch(/invalid override-rule\["Terminal Shell In Container"\] "Terminal Shell In Container": is a rule defined neither.*case-sensitive/);
      const list = ruleSet().set;
      list.appendToList('shell_binary', ['fish']);
      expect(renderError(list)).toMatch(/invalid append-list\["shell_binary"\] "shell_binary": is a list defined neither/);
      const macro = ruleSet().set;
      macro.overrideMacro('user_known_shell', 'proc.name=x');
      expect(renderError(macro)).toMatch(/invalid override-macro\["user_known_shell"\] "user_known_shell": is a macro defined neither/);
    });

    test('fails when an exception value for an `in` comparison is an undefined list, or a port is not an integer', () => {
      const { set } = ruleSet();
      set.addRule({ ...RULE, condition: 'evt.type=connect', exceptions: [{ name: 'tools', fields: ['proc.name'], comps: ['in'], values: [['my_tools']] }] });
      expect(renderError(set)).toMatch(/invalid rules\["Outbound to unexpected port"\]\.exceptions\[tools\]\.values "my_tools": is compared with 'in' on proc\.name, so it must name a list/);
      const port = ruleSet().set;
      port.addRule({ ...RULE, condition: 'evt.type=connect', exceptions: [{ name: 'https', fields: ['fd.sport'], values: [['https']] }] });
      expect(renderError(port)).toMatch(/exceptions\[https\]\.values "https": is not an integer, but fd\.sport is a numeric field/);
      const ok = ruleSet().set;
      ok.addList({ name: 'my_tools', items: ['curl'] });
      ok.addRule({ ...RULE, condition: 'evt.type=connect', exceptions: [{ name: 'tools', fields: ['proc.name', 'fd.sport'], comps: ['in', '='], values: [['my_tools', '443']] }] });
      expect(falcoSchemaErrors(ok.renderRulesFile())).toEqual([]);
    });

    test('fails when a plugin source is used without declaring the plugin', () => {
      const { set } = ruleSet();
      set.addRule({ ...RULE, source: 'k8s_audit', condition: 'ka.verb=create and ka.target.resource=pods', output: 'pod created by %ka.user.name' });
      expect(renderError(set)).toMatch(/invalid rules\["Outbound to unexpected port"\]\.source "k8s_audit": is an event source that a plugin provides, and requiredPluginVersions does not declare it; list the plugin/);
      const declared = ruleSet({ requiredPluginVersions: [{ name: 'k8saudit', version: '0.16.0' }, { name: 'json', version: '0.7.0' }] }).set;
      declared.addRule({ ...RULE, source: 'k8s_audit', condition: 'ka.verb=create and ka.target.resource=pods', output: 'pod created by %ka.user.name' });
      expect(falcoSchemaErrors(declared.renderRulesFile())).toEqual([]);
      expect(declared.toRulesFile()[2].source).toBe('k8s_audit');
    });

    test('throws on an override that changes nothing, and on bad exceptions', () => {
      const { set } = ruleSet();
      expect(() => set.overrideRule({ rule: 'Terminal shell in container' })).toThrow(/must change at least one of condition/);
      expect(() => set.addRule({ ...RULE, exceptions: [{ name: 'x', fields: ['proc.name', 'k8s.ns.name'], values: [['a']] }] }))
        .toThrow(/invalid rules\["Outbound to unexpected port"\]\.exceptions\[x\]\.values \["a"\]: each value tuple must have one value per field \(2\)/);
      expect(() => set.addRule({ ...RULE, exceptions: [{ name: 'x', fields: ['proc.name'], comps: ['like'] }] }))
        .toThrow(/exceptions\[x\]\.comps \["like"\]: must have one operator per field/);
    });

    test('throws on bad names, items, file names and versions', () => {
      const { set } = ruleSet();
      expect(() => set.addMacro({ name: 'my-macro', condition: 'container' })).toThrow(/invalid macro\.name "my-macro": must be letters, digits and '_'/);
      expect(() => set.addList({ name: 'my_list', items: ['a b'] })).toThrow(/invalid lists\["my_list"\]\.items \["a b"\]: .*quote items with spaces/);
      expect(() => ruleSet({ fileName: 'rules.json' })).toThrow(/invalid fileName "rules\.json": must be a file name ending in \.yaml/);
      expect(() => ruleSet({ requiredEngineVersion: '57' })).toThrow(/invalid requiredEngineVersion "57": must be a semver version/);
      expect(() => ruleSet({ requiredPluginVersions: [{ name: 'container', version: 'latest' }] })).toThrow(/invalid requiredPluginVersions .*semver/);
      expect(() => ruleSet({ driver: 'ebpf' as FalcoDriver })).toThrow(/invalid driver "ebpf": must be a FalcoDriver \(FalcoDriver.AUTO = "auto", FalcoDriver.MODERN_EBPF = "modern_ebpf", FalcoDriver.MODERN_EBPF_LEAST_PRIVILEGED = "modern_ebpf-least-privileged", FalcoDriver.KMOD = "kmod"\)/);
    });

    test('fails when a list item would be spliced into the condition as more than one item', () => {
      const { set } = ruleSet();
      // Falco pastes list items into `proc.name in (...)` as text: this item would add `or (proc.name="bash")`
      expect(() => set.addList({ name: 'tools', items: ['nc', '"nc") or (proc.name="bash"'] }))
        .toThrow(/^\[test\/rules\] invalid lists\["tools"\]\.items "\\"nc\\"\) or \(proc\.name=\\"bash\\"": would be read as \d+ tokens, not one item.*pastes list items into the conditions/);
      expect(() => set.appendToList('shell_binaries', ['a=b'])).toThrow(/invalid appendToList\["shell_binaries"\]\.items "a=b": would be read as 3 tokens/);
      expect(() => set.addList({ name: 'nul', items: ['a\u0000b'] })).toThrow(/invalid lists\["nul"\]\.items "a\\u0000b": contains a control character/);
      // nor does a backslash escape a backslash before the closing quote: the string would run on
      expect(() => set.addList({ name: 'escaped', items: ['"a\\\\"', 'b'] })).toThrow(/invalid lists\["escaped"\]\.items "\\"a\\\\\\\\\\"": would not parse .*unterminated double quote/);
      expect(set.addList({ name: 'brackets', items: ['a[b', 'runc:[0:PARENT]'] })).toBe('brackets');
      // quoted items with escaped quotes (as the stable ruleset has) stay accepted
      expect(set.addList({ name: 'ok', items: ['"sh -c \\"x\\""', 'plain', '"a b"'] })).toBe('ok');
    });

    test('fails when an exception value would be spliced into the condition as more than one value', () => {
      const { set } = ruleSet();
      const exception = (value: string) => ({ ...RULE, name: 'r', exceptions: [{ name: 'known', fields: ['proc.name'], values: [[value]] }] });
      expect(() => set.addRule(exception('"x") or (evt.num >= 0'))).toThrow(/invalid rules\["r"\]\.exceptions\[known\]\.values "\\"x\\"\) or \(evt\.num >= 0": .*pastes exception values into the condition as text/);
      expect(() => set.addRule(exception('x)or(evt.num>=0'))).toThrow(/invalid rules\["r"\]\.exceptions\[known\]\.values "x\)or\(evt\.num>=0"/);
      expect(() => set.addRule({ ...RULE, name: 'r', exceptions: [{ name: 'known', fields: ['proc.name'], comps: ['in'], values: [['a, b']] }] }))
        .toThrow(/is compared with 'in' on proc\.name, so it must name a list/);
      // Falco's bare words do not pair brackets: `x[` ends at ')', and `or (proc.name != y])` would disable the rule
      expect(() => set.addRule(exception('x[)or(proc.name!=y]'))).toThrow(/invalid rules\["r"\]\.exceptions\[known\]\.values "x\[\)or\(proc\.name!=y\]": would be read as 7 tokens, not one item/);
      // nor does a backslash escape a backslash before a quote (the string would run on), and Falco refuses unknown escapes
      expect(() => set.addRule(exception('"a\\\\"'))).toThrow(/exceptions\[known\]\.values "\\"a\\\\\\\\\\"": would not parse .*unterminated double quote/);
      expect(() => set.addRule(exception('"C:\\path"'))).toThrow(/exceptions\[known\]\.values "\\"C:\\\\path\\"": would not parse .*unsupported escape "\\\\p"/);
      expect(set.addRule({ ...RULE, name: 'brackets', exceptions: [{ name: 'known', fields: ['proc.name'], values: [['runc:[0:PARENT]']] }] })).toBe('brackets');
      // a value with spaces is quoted by Falco itself: one literal, accepted
      expect(set.addRule(exception('x or (evt.num >= 0'))).toBe('r');
    });

    test('throws the same clear error for a wrong type as for a wrong value', () => {
      const { set } = ruleSet();
      expect(() => set.overrideRule(undefined as any)).toThrow(/^\[test\/rules\] invalid options undefined: must be a FalcoRuleOverrideOptions object, got undefined/);
      expect(() => set.addRule(null as any)).toThrow(/^\[test\/rules\] invalid rule null: must be a FalcoRuleOptions object, got null/);
      expect(() => set.addList({ name: 'l', items: 'nc' as any })).toThrow(/invalid items "nc": must be an array of strings, got string/);
      expect(() => set.addRule({ ...RULE, tags: 'x' as any })).toThrow(/invalid tags "x": must be an array of strings or undefined, got string/);
      expect(() => set.addRule({ ...RULE, enabled: 'yes' as any })).toThrow(/invalid enabled "yes": must be a boolean or undefined, got string/);
      expect(() => set.overrideRule({ rule: 42 as any, enabled: false })).toThrow(/invalid rule 42: must be (a string|an? \w+)/);
    });
  });
});
