import * as fs from 'fs';
import * as path from 'path';
import { App, Chart, Testing } from 'cdk8s';
import * as yaml from 'yaml';
import { AccessLogMode, MeshAccessLogging, OutputFile } from '../../src';
import { find, synthValid } from '../support/synth';

describe('MeshAccessLogging', () => {
  test('a mesh-wide Telemetry in the root namespace and the meshConfig provider it needs', () => {
    const app: App = Testing.app();
    const chart = new Chart(app, 'monitoring');
    const logging = new MeshAccessLogging(chart, 'logs');
    const manifests = synthValid(chart);
    expect(manifests).toMatchSnapshot();
    const telemetry = find(manifests, 'Telemetry', 'mesh-default', 'istio-system');
    expect(telemetry.apiVersion).toBe('telemetry.istio.io/v1');
    expect(telemetry.spec).toEqual({ accessLogging: [{ providers: [{ name: 'zero-trust-json-access-log' }], match: { mode: 'SERVER' } }] });

    expect(OutputFile.synthAll(app)).toEqual(['istio/mesh-config-access-log.yaml']);
    const values = yaml.parse(fs.readFileSync(path.join(`${app.outdir}-files`, 'istio/mesh-config-access-log.yaml'), 'utf8'));
    const [provider] = values.meshConfig.extensionProviders;
    expect(provider.name).toBe(logging.providerName);
    expect(provider.envoyFileAccessLog.path).toBe('/dev/stdout');
    // who, what, why, from where
    expect(provider.envoyFileAccessLog.logFormat.labels).toEqual(expect.objectContaining({
      source_principal: '%DOWNSTREAM_PEER_URI_SAN%',
      method: '%REQ(:METHOD)%',
      path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
      response_code: '%RESPONSE_CODE%',
      response_flags: '%RESPONSE_FLAGS%',
      response_code_details: '%RESPONSE_CODE_DETAILS%',
      source_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
    }));
    expect(MeshAccessLogging.logFormat).toEqual(provider.envoyFileAccessLog.logFormat.labels);
  });

  test('mode and filter', () => {
    const chart = Testing.chart();
    new MeshAccessLogging(chart, 'logs', { mode: AccessLogMode.CLIENT_AND_SERVER, filter: 'response.code >= 400', rootNamespace: 'istio-root', providerName: 'json' });
    const telemetry = find(synthValid(chart), 'Telemetry', 'mesh-default', 'istio-root');
    expect(telemetry.spec.accessLogging).toEqual([{ providers: [{ name: 'json' }], match: { mode: 'CLIENT_AND_SERVER' }, filter: { expression: 'response.code >= 400' } }]);
  });

  test.each([
    [{ mode: 'BOTH' }, /^\[test\/l\] invalid mode "BOTH": must be an AccessLogMode \(AccessLogMode.SERVER = "SERVER", AccessLogMode.CLIENT = "CLIENT", AccessLogMode.CLIENT_AND_SERVER = "CLIENT_AND_SERVER"\) or undefined, got string/],
    [{ filter: 'response.code >= (400' }, /^\[test\/l\] invalid filter "response\.code >= \(400": must be a CEL expression \(Istio refuses the Telemetry otherwise\): expected '\)'/],
    // balanced, but not CEL
    [{ filter: 'response.code = 400' }, /^\[test\/l\] invalid filter "response\.code = 400": must be a CEL expression .*unexpected character "="/],
    [{ filter: 'response.code >= 400 &&' }, /invalid filter "response\.code >= 400 &&": must be a CEL expression .*expected an expression but found the end/],
    [{ filter: 'if true' }, /invalid filter "if true": must be a CEL expression .*reserved word 'if'/],
    [{ filter: 42 }, /^\[test\/l\] invalid filter 42: must be a string or undefined, got number/],
    [{ providerName: 'JSON log' }, /^\[test\/l\] invalid providerName "JSON log"/],
    [{ rootNamespace: 'Istio' }, /^\[test\/l\] invalid rootNamespace "Istio"/],
  ])('throws on %j', (props, message) => {
    expect(() => new MeshAccessLogging(Testing.chart(), 'l', props as any)).toThrow(message);
  });
});
