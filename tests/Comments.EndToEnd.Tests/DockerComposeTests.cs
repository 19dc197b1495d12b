using Comments.Tests.Fixtures;
using YamlDotNet.RepresentationModel;

namespace Comments.EndToEnd.Tests;

/// <summary>docker-compose.yml describes the same topology the scripts start: every server and service, each health-checked.</summary>
public sealed class DockerComposeTests
{
    private static readonly string[] Servers = ["postgres", "rabbitmq", "redis"];
    private static readonly string[] Services = ["api", "moderation", "reader"];

    private static YamlMappingNode ComposeServices()
    {
        var yaml = new YamlStream();
        using var reader = new StreamReader(Repository.PathOf("docker-compose.yml"));
        yaml.Load(reader);
        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        return (YamlMappingNode)root.Children[new YamlScalarNode("services")];
    }

    private static YamlMappingNode Service(string name) =>
        (YamlMappingNode)ComposeServices().Children[new YamlScalarNode(name)];

    private static bool Has(YamlMappingNode node, string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    [Fact]
    public void NamesEveryServerAndService()
    {
        var names = ComposeServices().Children.Keys.Select(k => ((YamlScalarNode)k).Value ?? string.Empty).ToList();

        foreach (var expected in Servers.Concat(Services).Append("migrate"))
        {
            Assert.Contains(expected, names);
        }
    }

    [Fact]
    public void HealthChecksEveryServerAndService()
    {
        foreach (var name in Servers.Concat(Services))
        {
            var service = Service(name);
            Assert.True(Has(service, "healthcheck"), $"{name} has no healthcheck");
            Assert.True(Has((YamlMappingNode)service.Children[new YamlScalarNode("healthcheck")], "test"), $"{name}'s healthcheck has no test");
        }
    }

    [Fact]
    public void ChecksEachServiceThroughItsHealthEndpoint()
    {
        foreach (var name in Services)
        {
            var test = Service(name).Children[new YamlScalarNode("healthcheck")];
            var command = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)test).Children[new YamlScalarNode("test")]).Select(n => ((YamlScalarNode)n).Value));
            Assert.Contains("/health", command, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void StartsServicesOnlyAfterTheServersAreHealthyAndTheSchemaIsMigrated()
    {
        foreach (var name in Services)
        {
            var dependsOn = (YamlMappingNode)Service(name).Children[new YamlScalarNode("depends_on")];
            foreach (var server in Servers)
            {
                var condition = ((YamlMappingNode)dependsOn.Children[new YamlScalarNode(server)]).Children[new YamlScalarNode("condition")];
                Assert.Equal("service_healthy", ((YamlScalarNode)condition).Value);
            }

            var migrate = ((YamlMappingNode)dependsOn.Children[new YamlScalarNode("migrate")]).Children[new YamlScalarNode("condition")];
            Assert.Equal("service_completed_successfully", ((YamlScalarNode)migrate).Value);
        }
    }

    [Fact]
    public void BuildsEveryServiceFromTheOneDockerfile()
    {
        foreach (var name in Services.Append("migrate"))
        {
            var build = (YamlMappingNode)Service(name).Children[new YamlScalarNode("build")];
            Assert.Equal("deploy/Dockerfile", ((YamlScalarNode)build.Children[new YamlScalarNode("dockerfile")]).Value);
        }

        Assert.True(File.Exists(Repository.PathOf("deploy", "Dockerfile")));
    }
}
