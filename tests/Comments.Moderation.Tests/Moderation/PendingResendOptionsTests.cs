using Comments.Moderation.Moderation;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Comments.Moderation.Tests.Moderation;

public sealed class PendingResendOptionsTests
{
    [Theory]
    [InlineData("1.00:00:00", "00:10:00", true)]
    [InlineData("00:10:00", "00:10:00", false)]
    [InlineData("00:05:00", "00:10:00", false)]
    public void AMaximumAgeNotLongerThanTheWaitIsRefusedAtStartUp(string maxAge, string after, bool valid)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Moderation:ResendPending:MaxAge"] = maxAge,
            ["Moderation:ResendPending:After"] = after,
        });
        builder.AddModeration();
        using var host = builder.Build();

        var read = () => host.Services.GetRequiredService<IOptions<PendingResendOptions>>().Value;

        if (valid)
        {
            Assert.Equal(TimeSpan.Parse(maxAge, System.Globalization.CultureInfo.InvariantCulture), read().MaxAge);
        }
        else
        {
            Assert.Contains("MaxAge must be longer", Assert.Throws<OptionsValidationException>(read).Message, StringComparison.Ordinal);
        }
    }
}
