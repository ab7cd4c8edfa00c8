using LocationActors.Domain.Aors;
using LocationActors.Domain.Contacts;
using Newtonsoft.Json;

namespace LocationActors.Benchmarks;

// Akka's default serializer (Newtonsoft.Json) cannot rebuild an Aor (its only constructor is private) and silently
// loses a QValue's value (a struct without a setter): it does not carry the protocol as it is. These two converters,
// written like the ones of our serializer, make it carry it, so that its cost can be measured at all.

/// <summary>An AOR as its two columns (as <c>AorJsonConverter</c> of our serializer does).</summary>
public sealed class NewtonsoftAorConverter : JsonConverter<Aor>
{
    public override void WriteJson(JsonWriter writer, Aor? value, JsonSerializer serializer)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("u");
        writer.WriteValue(value!.Username);
        if (value.Domain is not null)
        {
            writer.WritePropertyName("d");
            writer.WriteValue(value.Domain);
        }

        writer.WriteEndObject();
    }

    public override Aor ReadJson(JsonReader reader, Type objectType, Aor? existingValue, bool hasExistingValue, JsonSerializer serializer)
    {
        string? username = null, domain = null;
        while (reader.Read() && reader.TokenType != JsonToken.EndObject)
        {
            var name = (string?)reader.Value;
            reader.Read();
            if (name == "u")
                username = (string?)reader.Value;
            else if (name == "d")
                domain = (string?)reader.Value;
        }

        return Aor.FromColumns(username ?? throw new JsonSerializationException("an AOR needs a username"), domain);
    }
}

/// <summary>A q value as its thousandths.</summary>
public sealed class NewtonsoftQValueConverter : JsonConverter<QValue>
{
    public override void WriteJson(JsonWriter writer, QValue value, JsonSerializer serializer) => writer.WriteValue(value.Thousandths);

    public override QValue ReadJson(JsonReader reader, Type objectType, QValue existingValue, bool hasExistingValue, JsonSerializer serializer) =>
        QValue.FromThousandths(Convert.ToInt32(reader.Value, System.Globalization.CultureInfo.InvariantCulture));
}
